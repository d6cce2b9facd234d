/**
 * Entity states for `migrate plan`: read from Temporal and the state store when they answer,
 * never starting anything; when they do not, every entity shows as pending and stderr says why.
 */
import type { CommandContext } from '../cli/context.js';
import type { LoadedPlan } from '../plan/load.js';
import type { EntityStatus } from '../progress.js';
import { openSession } from './session.js';
import { resolveTemporalSettings } from '../temporal/settings.js';
import { runningLocalServer } from '../temporal/local.js';
import { collectStatus } from './status.js';
import { statusSources } from './statusSources.js';

export async function liveStatuses(loaded: LoadedPlan, ctx: CommandContext): Promise<Record<string, EntityStatus>> {
  let session;
  // Nothing configured and nothing running locally: nothing has started, so pending is the truth.
  if (!resolveTemporalSettings(loaded.plan, ctx.env).address && !(await runningLocalServer(ctx.env, ctx.cwd))) return {};
  try {
    session = await openSession(loaded, ctx.env, ctx.cwd, { startLocal: false });
    const snap = await Promise.race([
      collectStatus(session, statusSources()),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error('Temporal did not answer within 10 s')), 10_000).unref()),
    ]);
    return Object.fromEntries(snap.entities.map((e) => [e.entity, e]));
  } catch (e) {
    ctx.output.err(`note: live state unavailable (${(e as Error).message}); showing every entity as pending`);
    return {};
  } finally {
    await session?.close();
  }
}
