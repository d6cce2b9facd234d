/**
 * `migrate retire --entity E`: the end of an entity's migration, once writes go to the service and
 * no consumer reads or writes the legacy any more. Stops reverse sync and forward sync, removes the
 * capture triggers, records the final state in the audit log, and says what the team may now delete.
 * Refused — with the reason and the command that fixes it — while the routing in force still sends
 * a consumer's reads or writes to the legacy, or a live consumer instance has not acknowledged that
 * routing's epoch. `planRetire` gives the checks and every step (the dry run); `retire` runs them.
 */
import { phaseOf } from '../plan/schema.js';
import { ackState, cutoverConsumers } from '../cutover/writeSwitchChecks.js';
import { describeRoute } from '../flags/routing.js';
import { UserError } from '../errors.js';
import { captureReport, stopSync, syncProgress, uninstallCapture } from './sync.js';
import { reverseSyncProgress, stopReverseSync } from './reverseSync.js';
import { cutoverProgress, cutoverRunning, endCutover } from './cutover.js';
import type { Session } from './session.js';
import { RETIRE_ACTION } from '../state/audit-log.js';

export interface RetireRefusal {
  reason: string;
  /** A command the CLI accepts, or what to do. */
  fix: string;
}

export interface RetireStep {
  step: 'stop-reverse-sync' | 'stop-forward-sync' | 'uninstall-capture' | 'end-cutover' | 'record';
  /** What it does now, or `skipped: …` when there is nothing to do. */
  detail: string;
  skip?: boolean;
}

export interface RetirePlan {
  entity: string;
  /** The routing epoch in force. */
  epoch?: number;
  refusals: RetireRefusal[];
  steps: RetireStep[];
  /** What the team may delete once retired, one item a line. */
  mayDelete: string[];
}

/** The checks and the steps retire would take now; changes nothing. */
export async function planRetire(session: Session, entity: string): Promise<RetirePlan> {
  const res = session.resources;
  const e = res.entity(entity);
  const plan = session.loaded.plan.name;
  const refusals: RetireRefusal[] = [];
  const cutover = phaseOf(e, 'cutover');
  let epoch: number | undefined;
  if (!cutover) {
    refusals.push({ reason: `entity "${entity}" has no cutover phase, so its writes never move to the service`, fix: `add a cutover phase with a writes stage to entities.${entity} in ${res.planFile}` });
  } else {
    const flags = await res.flags();
    const routing = await flags.getRouting(plan, entity);
    if (!routing) {
      refusals.push({ reason: `no routing was ever published for ${entity}: every consumer still reads and writes the legacy`, fix: `migrate cutover --entity ${entity}` });
    } else {
      epoch = routing.epoch;
      const { RoutingEvaluator } = await import('../flags/routingEvaluator.js');
      const { stageOf } = await import('../flags/routing.js');
      const writes = new RoutingEvaluator(routing.document).writes();
      if (writes !== 'new') refusals.push({ reason: `routing epoch ${epoch} sends writes to ${writes}, not new: the legacy is still written`, fix: `migrate cutover --entity ${entity}` });
      const stage = stageOf(routing.document);
      const consumers = cutoverConsumers(e);
      if (!stage) {
        refusals.push({ reason: `routing epoch ${epoch} has a shape Tracer did not publish, so where consumers read cannot be told`, fix: `migrate cutover --entity ${entity}` });
      } else {
        const routeOf = (c: string) => stage.reads[c] ?? stage.otherReads ?? 'legacy';
        const legacyReaders = consumers.filter((c) => routeOf(c) !== 'new').map((c) => `${c} (${describeRoute(routeOf(c))})`);
        if (legacyReaders.length > 0) refusals.push({ reason: `at routing epoch ${epoch} these consumers still read the legacy: ${legacyReaders.join(', ')}`, fix: `migrate cutover --entity ${entity}` });
      }
      const acks = await ackState({ store: await res.stateStore(), consumers, now: Date.now }, plan, entity, epoch, false);
      if (!acks.done) {
        refusals.push({ reason: `not every consumer runs routing epoch ${epoch} yet, so one may still use the legacy: ${acks.waitingFor.join(', ')}`, fix: `wait until they acknowledge (see \`migrate cutover --entity ${entity}\`), then run \`migrate retire --entity ${entity}\` again` });
      }
    }
  }

  const reverse = await reverseSyncProgress(session, entity);
  const forwardPhase = phaseOf(e, 'sync');
  const forward = forwardPhase ? await syncProgress(session, entity) : undefined;
  const capture = forwardPhase ? await captureReport(session, entity) : undefined;
  const table = e.source.schema ? `${e.source.schema}.${e.source.table}` : e.source.table;
  // A complete cutover workflow waits (a rollback stays possible) until retire ends it.
  const open = cutover && (await cutoverRunning(session, entity)) ? await cutoverProgress(session, entity) : undefined;
  const steps: RetireStep[] = [
    reverse?.state === 'running'
      ? { step: 'stop-reverse-sync', detail: `stop reverse sync (${reverse.workflowId}; ${reverse.changes} service changes written to the legacy${reverse.appliedThrough !== undefined ? `, applied through ${new Date(reverse.appliedThrough).toISOString()}` : ''})` }
      : { step: 'stop-reverse-sync', detail: 'skipped: reverse sync is not running', skip: true },
    forward?.state === 'running' || forward?.state === 'paused'
      ? { step: 'stop-forward-sync', detail: `stop forward sync (${forward.workflowId}; ${forward.changes} changes applied)` }
      : { step: 'stop-forward-sync', detail: 'skipped: forward sync is not running', skip: true },
    capture?.capture === 'triggers' && (capture.state.installed || capture.state.partial)
      ? { step: 'uninstall-capture', detail: `remove change capture from ${table}: ${res.changeLog(entity).uninstallPlan().join('; ')}${capture.lag?.pending ? ` (${capture.lag.pending} unsent changes dropped with it)` : ''}` }
      : { step: 'uninstall-capture', detail: `skipped: no capture triggers on ${table}`, skip: true },
    !open
      ? { step: 'end-cutover', detail: 'skipped: no cutover workflow is running', skip: true }
      : open.step === 'complete'
        ? { step: 'end-cutover', detail: `end the cutover workflow (${open.workflowId}, complete at epoch ${open.epoch}): no rollback after retire` }
        : { step: 'end-cutover', detail: `skipped: the cutover workflow (${open.workflowId}) is at step ${open.step}, not complete; it keeps running (\`migrate cutover --entity ${entity}\`)`, skip: true },
    { step: 'record', detail: `record the final state in the audit log (action retire${epoch !== undefined ? `, routing epoch ${epoch}` : ''})` },
  ];
  const flagNames = e.phases.flatMap((p) => ('backfill' in p ? [p.backfill.flag] : 'sync' in p ? [p.sync.flag] : []));
  const mayDelete = [
    `the legacy table ${e.source.db}.${table} (the service is the source of truth; keep a backup as your retention rules require)`,
    `the legacy read and write paths for ${entity} in ${cutover?.consumers.join(', ') ?? 'the consumers'} (every consumer reads and writes the service)`,
    ...(flagNames.length ? [`the flags ${flagNames.join(', ')} (nothing reads them any more)`] : []),
    `entities.${entity} in ${res.planFile}, once no other entity depends on it`,
  ];
  return { entity, ...(epoch !== undefined ? { epoch } : {}), refusals, steps, mayDelete };
}

export interface RetireOutcome extends RetirePlan {
  /** What each step did, in order. */
  done: string[];
}

/**
 * Retires the entity: refused (UserError naming every reason and the fix) unless `planRetire`
 * finds nothing against it; then stops both syncs, removes capture and records it (audited).
 */
export async function retire(session: Session, entity: string, actor: string, reason?: string): Promise<RetireOutcome> {
  const p = await planRetire(session, entity);
  if (p.refusals.length > 0) throw retireRefused(entity, p.refusals);
  const done: string[] = [];
  const why = reason ?? 'retire';
  for (const s of p.steps) {
    if (s.skip) continue;
    if (s.step === 'stop-reverse-sync') {
      await stopReverseSync(session, entity, actor, why);
      done.push('reverse sync stopped');
    } else if (s.step === 'stop-forward-sync') {
      await stopSync(session, entity, actor, why);
      done.push('forward sync stopped');
    } else if (s.step === 'uninstall-capture') {
      const { droppedChanges } = await uninstallCapture(session, entity, actor, why);
      done.push(`change capture removed${droppedChanges ? ` (${droppedChanges} unsent changes dropped)` : ''}`);
    } else if (s.step === 'end-cutover') {
      done.push((await endCutover(session, entity)) ? 'cutover workflow ended' : 'cutover workflow asked to end (it has not closed yet)');
    }
  }
  const reverse = await reverseSyncProgress(session, entity);
  const forward = phaseOf(session.resources.entity(entity), 'sync') ? await syncProgress(session, entity) : undefined;
  const store = await session.resources.stateStore();
  await store.appendAudit({
    plan: session.loaded.plan.name,
    entity,
    action: RETIRE_ACTION,
    actor,
    reason,
    detail: {
      epoch: p.epoch ?? null,
      reverseSync: reverse ? { changes: reverse.changes, failed: reverse.failed, appliedThrough: reverse.appliedThrough ?? null } : null,
      forwardSync: forward ? { changes: forward.changes, failed: forward.failed } : null,
    },
  });
  done.push('final state recorded in the audit log (action retire)');
  return { ...p, done };
}

/** The error of a refused retire: every reason, each with its fix. */
export function retireRefused(entity: string, refusals: readonly RetireRefusal[]): UserError {
  return new UserError(`retire of ${entity} refused: ${refusals.map((r) => r.reason).join('; ')}`, {
    problems: refusals.map((r) => ({ where: entity, message: r.reason, hint: r.fix })),
    hint: refusals.length === 1 ? `Fix: ${refusals[0]!.fix}.` : refusals.map((r) => r.fix).filter((f, i, all) => all.indexOf(f) === i).join('; '),
  });
}
