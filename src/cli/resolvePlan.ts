/** Which plan file a command uses: --plan, else $MIGRATE_PLAN, else the only file in plans/. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadPlanFile, type LoadedPlan } from '../plan/load.js';
import type { CommandContext } from './context.js';

/** The plan file path for this invocation; throws UserError naming the choices when plans/ holds none or several. */
export function resolvePlanPath(ctx: CommandContext): string {
  if (ctx.options.plan) return ctx.options.plan;
  if (ctx.env.MIGRATE_PLAN) return ctx.env.MIGRATE_PLAN;
  const dir = path.join(ctx.cwd, 'plans');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f)).sort();
  } catch {
    files = [];
  }
  if (files.length === 1) return path.join('plans', files[0]!);
  if (files.length === 0) {
    throw new UserError('no plan file given and none found in plans/', {
      hint: 'pass --plan <file> or set MIGRATE_PLAN; docs/plan-file.md shows how to write one',
    });
  }
  throw new UserError(`no plan file given and plans/ holds ${files.length}: ${files.join(', ')}`, {
    hint: `choose one with --plan, e.g. --plan plans/${files[0]}, or set MIGRATE_PLAN`,
  });
}

/** Resolves and loads the plan for a command; throws UserError listing every problem when it is invalid. */
export async function loadPlanForCommand(ctx: CommandContext): Promise<LoadedPlan> {
  return loadPlanFile(path.resolve(ctx.cwd, resolvePlanPath(ctx)), ctx.env);
}
