/**
 * Sync operations behind `migrate sync`: install and remove change capture on the legacy table
 * (shown first, audited), start or attach to the entity's sync workflow, pause, resume and stop it
 * (through its flag, audited), and read its progress and lag. Commands render; nothing here prints.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { UserError } from '../errors.js';
import { durationMs } from '../plan/units.js';
import type { CaptureState, ChangeLag } from '../capture/changeLog.js';
import { syncSettings } from '../sync/settings.js';
import { syncLag } from '../sync/lag.js';
import { targetKeyFromSourceKey } from '../sync/targetKeys.js';
import { wakeSignal } from '../workflows/definitions.js';
import { stopSyncSignal, syncProgressQuery, syncWorkflowId, type SyncInput, type SyncProgress, type syncWorkflow } from '../workflows/syncWorkflow.js';
import type { Session } from './session.js';

export type SyncHandle = WorkflowHandle<typeof syncWorkflow>;

export interface CaptureReport {
  entity: string;
  /** triggers: a change table; updatedAt: a cursor over source.updatedAt (nothing installed; `state` is always installed; deletes are not seen). */
  capture: 'triggers' | 'updatedAt';
  dialect: 'postgres' | 'mysql';
  table: string;
  state: CaptureState;
  /** Changes captured and not yet applied; absent when capture is not installed. */
  lag?: ChangeLag;
  /** Whether the sync workflow is running now. */
  syncRunning: boolean;
}

/** Throws UserError when the entity has no sync phase, or its capture is not by triggers (nothing to install). */
function requireTriggers(session: Session, entity: string): void {
  if (syncSettings(session.resources, entity).capture === 'updatedAt') {
    throw new UserError(`entity "${entity}" syncs with capture: updatedAt, which installs nothing in the legacy database`, {
      hint: `Start sync with \`migrate sync --entity ${entity}\`; see it with \`migrate sync --entity ${entity} --capture-status\`.`,
    });
  }
}

/** How the entity's changes are captured (UserError without a sync phase). */
export function syncCapture(session: Session, entity: string): 'triggers' | 'updatedAt' {
  return syncSettings(session.resources, entity).capture;
}

/** Warning of a sync by updatedAt: what it cannot see. */
export const UPDATED_AT_BLIND_SPOT = 'capture: updatedAt cannot see hard deletes (nor rows that leave source.where): such rows stay in the service; `migrate verify` reports them';

/** What capture looks like on the legacy table now, and how far sync is behind it. */
export async function captureReport(session: Session, entity: string): Promise<CaptureReport> {
  const { capture } = syncSettings(session.resources, entity);
  const e = session.resources.entity(entity);
  const table = e.source.schema ? `${e.source.schema}.${e.source.table}` : e.source.table;
  if (capture === 'updatedAt') {
    const state: CaptureState = { installed: true, partial: false, present: [], missing: [] };
    const lag = await syncLag(session.resources, session.loaded.plan.name, entity);
    return { entity, capture, dialect: session.resources.updatedAtCursor(entity).dialect, table, state, ...(lag ? { lag } : {}), syncRunning: await isSyncRunning(session, entity) };
  }
  const log = session.resources.changeLog(entity);
  const state = await log.state();
  const report: CaptureReport = { entity, capture, dialect: log.dialect, table, state, syncRunning: await isSyncRunning(session, entity) };
  if (state.installed) report.lag = await log.lag();
  return report;
}

/** The statements `--install` or `--uninstall` would run, for the dry run. */
export function capturePlan(session: Session, entity: string, action: 'install' | 'uninstall'): string[] {
  requireTriggers(session, entity);
  const log = session.resources.changeLog(entity);
  return action === 'install' ? log.installPlan() : log.uninstallPlan();
}

/** Installs the change table and triggers (refused when already installed or half installed); audited. */
export async function installCapture(session: Session, entity: string, actor: string, reason?: string): Promise<string[]> {
  requireTriggers(session, entity);
  const report = await captureReport(session, entity);
  if (report.state.installed) throw new UserError(`change capture is already installed on ${report.table}`, { hint: `See it with \`migrate sync --entity ${entity} --capture-status\`.` });
  if (report.state.partial) {
    throw new UserError(`change capture on ${report.table} is half installed (present: ${report.state.present.join(', ')})`, {
      hint: `Remove what is there with \`migrate sync --entity ${entity} --uninstall\`, then install again.`,
    });
  }
  const log = session.resources.changeLog(entity);
  const statements = log.installPlan();
  await log.install();
  const store = await session.resources.stateStore();
  await store.appendAudit({ plan: session.loaded.plan.name, entity, action: 'sync.capture.install', actor, reason, detail: { table: report.table, dialect: report.dialect, statements: statements.length } });
  return statements;
}

/** Removes capture (with any unsent changes); refused while sync runs; audited. */
export async function uninstallCapture(session: Session, entity: string, actor: string, reason?: string): Promise<{ statements: string[]; droppedChanges: number }> {
  requireTriggers(session, entity);
  const report = await captureReport(session, entity);
  if (report.syncRunning) {
    throw new UserError(`sync of ${entity} is running and reads the change table`, { hint: `Stop it first with \`migrate sync --entity ${entity} --stop\`.` });
  }
  const log = session.resources.changeLog(entity);
  const droppedChanges = report.lag?.pending ?? 0;
  const statements = log.uninstallPlan();
  await log.uninstall();
  const store = await session.resources.stateStore();
  await store.appendAudit({ plan: session.loaded.plan.name, entity, action: 'sync.capture.uninstall', actor, reason, detail: { table: report.table, droppedChanges } });
  return { statements, droppedChanges };
}

async function isSyncRunning(session: Session, entity: string): Promise<boolean> {
  try {
    const d = await session.temporal.client.workflow.getHandle(syncWorkflowId(session.loaded.plan.name, entity)).describe();
    return d.status.name === 'RUNNING';
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    throw e;
  }
}

export interface SyncStart {
  handle: SyncHandle;
  how: 'started' | 'attached';
  flagTurnedOn: boolean;
  /** Things the operator should know, e.g. that deletes cannot reach the service. */
  warnings: string[];
}

/**
 * Starts the entity's forward sync or attaches to the running one. Every check that can refuse runs
 * before anything changes: capture must be installed. Turns the sync flag on (audited).
 */
export async function startSync(session: Session, entity: string, actor: string): Promise<SyncStart> {
  const settings = syncSettings(session.resources, entity);
  const report = await captureReport(session, entity);
  if (!report.state.installed) {
    throw new UserError(`change capture is not installed on ${report.table}${report.state.partial ? ' (it is half installed)' : ''}`, {
      hint: report.state.partial ? `Run \`migrate sync --entity ${entity} --uninstall\`, then \`migrate sync --entity ${entity} --install\`.` : `Install it with \`migrate sync --entity ${entity} --install\` (it shows the DDL and asks first).`,
    });
  }
  const warnings: string[] = [];
  const e = session.resources.entity(entity);
  if (settings.capture === 'updatedAt') warnings.push(UPDATED_AT_BLIND_SPOT);
  else if (!session.resources.target(entity).remove) warnings.push(`the plan declares no delete endpoint for ${entity}: rows deleted in the legacy will go to the failure log instead of the service`);
  else {
    try {
      targetKeyFromSourceKey(entity, e, session.resources.mapping(entity));
    } catch (err) {
      warnings.push((err as Error).message);
    }
  }
  const { plan } = session.loaded;
  const store = await session.resources.stateStore();
  const flags = await session.resources.flags();
  let flagTurnedOn = false;
  if (!(await flags.getFlag(settings.flag))) {
    await flags.setFlag(settings.flag, true, { plan: plan.name, entity, actor, reason: 'sync started' });
    flagTurnedOn = true;
  }
  const workflowId = syncWorkflowId(plan.name, entity);
  const existing = session.temporal.client.workflow.getHandle<typeof syncWorkflow>(workflowId);
  if (report.syncRunning) {
    if (flagTurnedOn) await existing.signal(wakeSignal);
    return { handle: existing, how: 'attached', flagTurnedOn, warnings };
  }
  const input: SyncInput = { plan: plan.name, entity, pollMs: durationMs(settings.poll) };
  try {
    const handle = await session.temporal.client.workflow.start<typeof syncWorkflow>('syncWorkflow', {
      workflowId,
      taskQueue: session.temporal.settings.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    await store.appendAudit({ plan: plan.name, entity, action: 'sync.start', actor, detail: { capture: settings.capture } });
    return { handle, how: 'started', flagTurnedOn, warnings };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: existing, how: 'attached', flagTurnedOn, warnings };
    throw err;
  }
}

/** Pauses (flag off) or resumes (flag on) sync; audited; wakes the workflow. Capture keeps recording while paused. */
export async function setSyncRunning(session: Session, entity: string, run: boolean, actor: string, reason?: string): Promise<void> {
  const { flag } = syncSettings(session.resources, entity);
  const flags = await session.resources.flags();
  await flags.setFlag(flag, run, { plan: session.loaded.plan.name, entity, actor, reason: reason ?? (run ? 'sync resume requested' : 'sync pause requested') });
  try {
    await session.temporal.client.workflow.getHandle(syncWorkflowId(session.loaded.plan.name, entity)).signal(wakeSignal);
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
}

/** Ends the sync workflow after its current chunk (capture keeps recording until uninstalled); audited. */
export async function stopSync(session: Session, entity: string, actor: string, reason?: string): Promise<boolean> {
  if (!(await isSyncRunning(session, entity))) return false;
  const handle = session.temporal.client.workflow.getHandle<typeof syncWorkflow>(syncWorkflowId(session.loaded.plan.name, entity));
  await handle.signal(stopSyncSignal);
  const store = await session.resources.stateStore();
  await store.appendAudit({ plan: session.loaded.plan.name, entity, action: 'sync.stop', actor, reason });
  await handle.result();
  return true;
}

/** The sync's progress and lag; undefined when it never ran. A stopped sync answers from its result. */
export async function syncProgress(session: Session, entity: string): Promise<SyncProgress | undefined> {
  const workflowId = syncWorkflowId(session.loaded.plan.name, entity);
  const handle = session.temporal.client.workflow.getHandle<typeof syncWorkflow>(workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
  if (status === 'RUNNING') return handle.query(syncProgressQuery);
  if (status === 'COMPLETED') return { ...(await handle.result()), state: 'stopped', workflowId, updatedAt: Date.now() };
  return { changes: 0, upserted: 0, deleted: 0, failed: 0, startedAt: 0, state: 'stopped', reason: `workflow ${status.toLowerCase()}`, workflowId, updatedAt: Date.now() };
}
