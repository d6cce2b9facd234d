/**
 * The steps `migrate run` walks for one entity, derived from its phases in lifecycle order (not
 * the order the phases are written in: capture must be in place before the backfill copies, or
 * changes made during the copy would be missed). Pure: the lifecycle workflow, `migrate plan` and
 * the docs all read the same list.
 */
import { phaseOf } from '../plan/phases.js';
import type { Entity } from '../plan/schema.js';

export type RunStepName = 'capture' | 'backfill' | 'sync' | 'verify' | 'cutover' | 'retire';

export interface RunStep {
  name: RunStepName;
  /** What the run does at this step, in one line (shown by `migrate plan` and `migrate run --dry-run`). */
  does: string;
}

/** The entity's run steps, in the order the run takes them; `entities` (the plan's) lets the cutover step name the dependencies it waits for. */
export function runSteps(name: string, e: Entity, entities: Record<string, Entity> = {}): RunStep[] {
  const steps: RunStep[] = [];
  const sync = phaseOf(e, 'sync');
  const backfill = phaseOf(e, 'backfill');
  const verify = phaseOf(e, 'verify');
  const cutover = phaseOf(e, 'cutover');
  if (sync?.capture === 'triggers') steps.push({ name: 'capture', does: `install change capture on ${e.source.table} (triggers and a change table; audited) unless it is installed` });
  if (backfill) {
    const after = e.dependsOn.length ? `, once ${e.dependsOn.join(', ')} ${e.dependsOn.length === 1 ? 'is' : 'are'} backfilled` : '';
    steps.push({ name: 'backfill', does: `turn flag ${backfill.flag} on and backfill ${name} (skipped when its backfill already finished)${after}` });
  }
  if (sync) steps.push({ name: 'sync', does: `turn flag ${sync.flag} on and start forward sync (kept running until retire)` });
  if (verify) steps.push({ name: 'verify', does: `verify ${name}; stop for a person when it does not pass (skipped when a passing verification finished after the backfill)` });
  if (cutover) {
    // Only dependencies with a cutover of their own hold a stage up (src/activities/lifecycleActivities.ts).
    const holding = e.dependsOn.filter((d) => entities[d] && phaseOf(entities[d], 'cutover'));
    const deps = holding.length ? `; each stage waits until ${holding.join(', ')} reached it` : '';
    steps.push({ name: 'cutover', does: `start the cutover (${cutover.stages.map((s) => s.name).join(' → ')}) and follow it; its approvals are given with \`migrate cutover --approve\`${deps}` });
    steps.push({ name: 'retire', does: `wait for \`migrate retire --entity ${name}\` (the approval to retire: it shows its steps and asks)` });
  }
  return steps;
}

/**
 * Every command the run names as what moves it on (its `next`), for the entity: whole commands the
 * CLI accepts (test/unit/cli/hints.test.ts parses each).
 */
export function runCommands(entity: string) {
  return {
    /** Wakes the run: a paused step is tried again, a verification that did not pass is run anew. */
    again: `migrate run --entity ${entity}`,
    followBackfill: `migrate backfill --entity ${entity}`,
    followVerify: 'migrate status --watch',
    repair: `migrate verify --entity ${entity} --repair`,
    cutover: `migrate cutover --entity ${entity}`,
    retire: `migrate retire --entity ${entity}`,
  };
}
