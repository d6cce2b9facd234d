/** Checkpoints keep the mismatch tally of verification sweeps. */
import type { Migration } from 'kysely';
import type { Ddl } from '../dialects.js';
import { addColumnIfMissing } from './steps.js';

export function checkpointMismatches(ddl: Ddl): Migration {
  return {
    async up(db) {
      await addColumnIfMissing(db, ddl, 'migrate_checkpoints', 'mismatches', 'bigint');
    },
  };
}
