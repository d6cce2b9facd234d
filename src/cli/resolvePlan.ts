/** Which plan file a command uses: --plan, else $MIGRATE_PLAN, else the only file in plans/. (Implemented with the plan loader.) */
export {};
