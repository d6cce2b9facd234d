/**
 * Entity states for `migrate plan`: read from Temporal and the state store when they answer, never
 * starting anything. When nothing was ever started locally, every entity is truly pending; when a
 * system that holds the state does not answer, every entity is `unknown` and says which system.
 */
import { existsSync } from 'node:fs';
import type { CommandContext } from '../cli/context.js';
import type { LoadedPlan } from '../plan/load.js';
import type { EntityStatus } from '../progress.js';
import { topologicalOrder } from '../plan/meaning.js';
import { openSession } from './session.js';
import { resolveTemporalSettings } from '../temporal/settings.js';
import { localDbFile, runningLocalServer } from '../temporal/local.js';
import { collectStatus } from './status.js';
import { statusSources } from './statusSources.js';
import { secrets } from '../secrets.js';

const LIVE_DEADLINE_MS = 10_000;

/** Every entity marked unknown, with the reason (which system did not answer). */
export function unknownStatuses(loaded: LoadedPlan, because: string): Record<string, EntityStatus> {
  return Object.fromEntries(
    topologicalOrder(loaded.plan).map((name) => [name, { entity: name, phase: 'unknown', dependsOn: loaded.plan.entities[name]!.dependsOn, unknownBecause: because } satisfies EntityStatus]),
  );
}

export async function liveStatuses(loaded: LoadedPlan, ctx: CommandContext): Promise<Record<string, EntityStatus>> {
  let session;
  if (!resolveTemporalSettings(loaded.plan, ctx.env).address && !(await runningLocalServer(ctx.env, ctx.cwd))) {
    // Nothing configured and no local server ever kept state here: nothing has started, pending is the truth.
    const dbFile = localDbFile(ctx.env, ctx.cwd);
    if (!existsSync(dbFile)) return {};
    const because = `the local Temporal server is not running (its state is in ${dbFile}); \`migrate status\` starts it and shows where each entity stands`;
    ctx.output.err(`note: state unknown: ${because}`);
    return unknownStatuses(loaded, because);
  }
  try {
    session = await openSession(loaded, ctx.env, ctx.cwd, { startLocal: false, readState: true });
    const snap = await Promise.race([
      collectStatus(session, statusSources()),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`Temporal or the state store did not answer within ${LIVE_DEADLINE_MS / 1000} s`)), LIVE_DEADLINE_MS).unref()),
    ]);
    return Object.fromEntries(snap.entities.map((e) => [e.entity, e]));
  } catch (e) {
    const because = secrets.redact((e as Error).message);
    ctx.output.err(`warning: live state unavailable (${because}); every entity is shown as unknown`);
    return unknownStatuses(loaded, because);
  } finally {
    await session?.close();
  }
}
