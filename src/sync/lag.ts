/**
 * An entity's sync lag by the legacy database's clock, whichever the capture, and the saved cursor
 * of a `capture: updatedAt` sync. Shared by the sync activities, the cutover's gate evidence and the
 * operations (`migrate status` loads this without the activities).
 */
import type { CursorPoint } from '../capture/updatedAtCursor.js';
import type { PlanResources } from '../resources/planResources.js';
import type { StateStore } from '../state/types.js';
import { syncSettings } from './settings.js';

/** Changes not yet applied and the age of the oldest, in seconds (0 when none). */
export interface SyncLag {
  pending: number;
  oldestSeconds: number;
}

/** Checkpoint namespace of a `capture: updatedAt` sync: its cursor `[updatedAt text, ...key]`. */
export const SYNC_CURSOR_RUN_KEY = 'sync.updatedAt';

/** The saved cursor of a `capture: updatedAt` sync; undefined before its first acknowledged page. */
export async function savedCursor(store: Pick<StateStore, 'getCheckpoint'>, plan: string, entity: string): Promise<CursorPoint | undefined> {
  const cp = await store.getCheckpoint(plan, entity, SYNC_CURSOR_RUN_KEY, 0);
  const [at, ...key] = cp?.cursor ?? [];
  return typeof at === 'string' ? { at, key } : undefined;
}

/**
 * The entity's sync lag now: the change table's (undefined when trigger capture is not installed),
 * or the rows past the updatedAt cursor.
 */
export async function syncLag(res: Pick<PlanResources, 'entity' | 'planFile' | 'changeLog' | 'updatedAtCursor' | 'stateStore'>, plan: string, entity: string): Promise<SyncLag | undefined> {
  if (syncSettings(res, entity).capture === 'updatedAt') return res.updatedAtCursor(entity).lag(await savedCursor(await res.stateStore(), plan, entity));
  const log = res.changeLog(entity);
  return (await log.state()).installed ? await log.lag() : undefined;
}
