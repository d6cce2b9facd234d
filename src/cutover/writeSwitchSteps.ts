/**
 * The steps of a write switch, in order, for the workflow that takes them and for `migrate cutover
 * --dry-run` that prints them: one list, so what the dry run shows is what the switch does.
 * Pure (no I/O, no Temporal): the workflow bundle imports it.
 *
 * Forward (`to: 'new'`): preconditions → fence → drain → catch-up → verify-changed → reverse-sync →
 * journal → switch → unfence. Back (`to: 'legacy'`): fence → drain → reverse-catch-up → journal →
 * switch → stop-reverse-sync; forward sync keeps running. `journal` is the commit point: a switch
 * that stops before it undoes (publishes the writes variant it started from), after it completes.
 */
import { describeRoute, type ReadRoute, type WriteVariant } from '../flags/routing.js';
import type { WriteSwitchInput, WriteSwitchStep } from '../workflows/cutoverDefinitions.js';
import { VERIFICATION_MAX_AGE_MS } from './gates.js';

export type WriteSwitchStepName =
  | 'preconditions'
  | 'fence'
  | 'drain'
  | 'catch-up'
  | 'verify-changed'
  | 'reverse-sync'
  | 'reverse-catch-up'
  | 'journal'
  | 'switch'
  | 'unfence'
  | 'stop-reverse-sync';

/** One step as defined: its name, what it does, and whether it comes after the commit point. */
export interface WriteSwitchStepDef {
  step: WriteSwitchStepName;
  detail: string;
  afterCommit: boolean;
}

/** What the steps' words depend on besides the input (read from the plan by the settings activity). */
export interface WriteSwitchTiming {
  /** The plan's `sync.maxLag` in milliseconds. */
  maxLagMs: number;
  /** How long consumers hold a fenced write waiting for the fence to lift (`tracerFenceHoldMs`). */
  holdMs: number;
  /** How long the drain may take before the switch gives up and undoes. */
  drainTimeoutMs: number;
  /** How long the catch-up (forward sync, or reverse sync on the way back) may take before the switch undoes. */
  catchUpTimeoutMs: number;
  /** How old the last verification may be for the precondition `verification fresh and clean`. */
  verifyMaxAgeMs: number;
  /** How often drain and catch-up look again. */
  pollMs: number;
  /** Reverse sync's poll when the feed had nothing new (the plan's `sync.poll`); absent in switches recorded before it was passed. */
  reversePollMs?: number;
}

/** Defaults when the plan says nothing: a fence is short, because consumers hold or reject writes for as long as it lasts. */
export const DEFAULT_TIMING: Omit<WriteSwitchTiming, 'maxLagMs'> = {
  holdMs: 5_000,
  drainTimeoutMs: 60_000,
  catchUpTimeoutMs: 120_000,
  verifyMaxAgeMs: VERIFICATION_MAX_AGE_MS,
  pollMs: 1_000,
};

/** The writes variant a switch starts from when the input does not say (forward: legacy; back: new). */
export function fromVariant(input: Pick<WriteSwitchInput, 'to'>): WriteVariant {
  return input.to === 'new' ? 'legacy' : 'new';
}

/** The steps of `input`'s switch, in order. */
export function writeSwitchSteps(input: WriteSwitchInput, timing: WriteSwitchTiming): WriteSwitchStepDef[] {
  const fence = input.epoch + 1;
  const switched = input.epoch + 2;
  const reads = readsText(input.reads, input.otherReads);
  const s = (ms: number) => seconds(ms);
  const fenceStep: WriteSwitchStepDef = {
    step: 'fence',
    detail: `publish epoch ${fence}: writes fenced (consumers hold a write up to ${s(timing.holdMs)}), reads unchanged (${reads})`,
    afterCommit: false,
  };
  const drainStep: WriteSwitchStepDef = {
    step: 'drain',
    detail: `wait until every consumer instance acknowledges epoch ${fence} with 0 writes in flight (at most ${s(timing.drainTimeoutMs)})`,
    afterCommit: false,
  };
  const journalStep: WriteSwitchStepDef = { step: 'journal', detail: `record the commit: from here the switch completes, it is no longer undone`, afterCommit: false };
  if (input.to === 'new') {
    return [
      {
        step: 'preconditions',
        detail: `all reads new and acknowledged at epoch ${input.epoch}; reverse path ready; forward sync lag under ${s(timing.maxLagMs)}; last verification fresh (under ${s(timing.verifyMaxAgeMs)}) and clean`,
        afterCommit: false,
      },
      fenceStep,
      drainStep,
      { step: 'catch-up', detail: `wait until forward sync has applied every change captured up to the fence (at most ${s(timing.catchUpTimeoutMs)})`, afterCommit: false },
      { step: 'verify-changed', detail: 'verify the rows changed since the last verification: no persistent difference', afterCommit: false },
      { step: 'reverse-sync', detail: 'start reverse sync (service → legacy)', afterCommit: false },
      journalStep,
      { step: 'switch', detail: `publish epoch ${switched}: writes new, reads unchanged (${reads})`, afterCommit: true },
      { step: 'unfence', detail: `wait until every consumer instance acknowledges epoch ${switched}: held writes go to the new service`, afterCommit: true },
    ];
  }
  return [
    fenceStep,
    drainStep,
    { step: 'reverse-catch-up', detail: `wait until reverse sync has applied every service change up to the fence (at most ${s(timing.catchUpTimeoutMs)})`, afterCommit: false },
    journalStep,
    { step: 'switch', detail: `publish epoch ${switched}: writes legacy, reads unchanged (${reads}); forward sync keeps running`, afterCommit: true },
    { step: 'stop-reverse-sync', detail: 'stop reverse sync', afterCommit: true },
  ];
}

/** The undo of a switch stopped before its commit, as journalled. */
export function undoDetail(epoch: number, from: WriteVariant): string {
  return `publish epoch ${epoch}: writes ${from} again (fence lifted), reads unchanged`;
}

/** Answers of the preconditions, appended to the step's words by both the dry run and the run. */
export interface CheckAnswer {
  name: string;
  ok: boolean;
  /** The current answer, e.g. `lag 2 s (max 30 s)` or `billing: 1 of 2 instances at epoch 7`. */
  detail: string;
}

/** `<definition> — <check>: yes (<answer>); <check>: NO (<answer>)`, the preconditions step as run or dry-run. */
export function preconditionsText(def: string, checks: readonly CheckAnswer[]): string {
  return `${def} — ${checks.map((c) => `${c.name}: ${c.ok ? 'yes' : 'NO'} (${c.detail})`).join('; ')}`;
}

/** Why preconditions refuse, in one sentence, or undefined when they pass. */
export function refusal(checks: readonly CheckAnswer[]): string | undefined {
  const failed = checks.filter((c) => !c.ok);
  return failed.length === 0 ? undefined : `preconditions not met: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`;
}

/** The steps as `WriteSwitchStep`s (what `--dry-run` prints), with the preconditions' current answers when known. */
export function dryRunSteps(defs: readonly WriteSwitchStepDef[], checks?: readonly CheckAnswer[]): WriteSwitchStep[] {
  return defs.map((d) => ({ step: d.step, detail: d.step === 'preconditions' && checks ? preconditionsText(d.detail, checks) : d.detail }));
}

function readsText(reads: Readonly<Record<string, ReadRoute>>, other: ReadRoute | undefined): string {
  const named = Object.keys(reads)
    .sort()
    .map((c) => `${c} ${describeRoute(reads[c]!)}`);
  return [...named, `others ${describeRoute(other ?? 'legacy')}`].join(', ');
}

function seconds(ms: number): string {
  if (ms % 3600_000 === 0 && ms >= 3600_000) return `${ms / 3600_000} h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}
