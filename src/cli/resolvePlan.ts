/**
 * Which plan file a command uses: --plan, else $MIGRATE_PLAN, else the folder's default plan (the
 * path in `.migrate/default-plan`, which `npm run demo` writes), else the only file in plans/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadPlanFile, type LoadedPlan } from '../plan/load.js';
import type { CommandContext } from './context.js';
import { migrateHome } from '../temporal/local.js';

/** The file holding this folder's default plan path (one line, relative to the working directory). */
export function defaultPlanFile(env: NodeJS.ProcessEnv, cwd: string): string {
  return path.join(migrateHome(env, cwd), 'default-plan');
}

/** The plan file path for this invocation; throws UserError naming the choices when plans/ holds none or several. */
export function resolvePlanPath(ctx: CommandContext): string {
  if (ctx.options.plan) return ctx.options.plan;
  if (ctx.env.MIGRATE_PLAN) return ctx.env.MIGRATE_PLAN;
  const defaultFile = defaultPlanFile(ctx.env, ctx.cwd);
  if (existsSync(defaultFile)) {
    const named = readFileSync(defaultFile, 'utf8').trim();
    if (named) return named;
  }
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
    hint: `choose one with --plan, e.g. --plan plans/${files[0]}, or set MIGRATE_PLAN, or make it this folder's default: echo plans/${files[0]} > ${path.relative(ctx.cwd, defaultFile) || defaultFile}`,
  });
}

/** Resolves and loads the plan for a command; throws UserError listing every problem when it is invalid. */
export async function loadPlanForCommand(ctx: CommandContext): Promise<LoadedPlan> {
  return loadPlanFile(path.resolve(ctx.cwd, resolvePlanPath(ctx)), ctx.env);
}
