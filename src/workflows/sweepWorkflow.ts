/**
 * The partitioned sweep: one workflow for backfill (copy visitor) and verification (compare
 * visitor). Deterministic: all I/O is in activities; this file imports only activity types.
 *
 * Each partition runs as a loop of bounded chunk activities. The activity checkpoints after every
 * batch in the state store, so a crashed worker re-sends at most one batch per partition; the
 * workflow keeps the cursor too, which is what progress queries read.
 */
import {
  ApplicationFailure,
  ActivityFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { chunkActivity, shortActivity } from './activityOptions.js';
import { pushSample, totals, windowRate, eta, type RateSample, type SweepProgress, type SweepState } from '../progress.js';
import {
  progressQuery,
  resumeSignal,
  wakeSignal,
  type PartitionState,
  type SweepInput,
  type SweepResult,
} from './definitions.js';

const { planSweep, readFlag, finishSweep } = proxyActivities<Activities>(shortActivity());
// sweepChunk heartbeats every 3 s on a timer, so a dead worker is noticed after 12 s.
const { sweepChunk } = proxyActivities<Activities>(chunkActivity([], '12s'));

// Progress queries see a partition's count when its chunk returns: 5 s keeps the dashboard's
// numbers fresh at the cost of a few history events per partition per chunk.
const CHUNK_MS = 5_000;
const FLAG_POLL = '3s';
const HISTORY_EVENTS_BEFORE_ROLL = 4_000;

export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const { plan, entity, kind, runKey } = input;
  const info = workflowInfo();
  let partitions: PartitionState[] = input.carried?.partitions ?? [];
  const startedAt = input.carried?.startedAt ?? Date.now();
  let samples: RateSample[] = input.carried?.samples ?? [];
  // When the count last grew: readers call a sweep stalled when this gets old (its rate would lie).
  let lastProgressAt = samples.length > 0 ? samples[samples.length - 1]!.at : startedAt;
  let state: SweepState = 'running';
  let reason: string | undefined = input.carried?.pausedReason;
  let flagName: string | undefined;
  let flagEnabled = true;
  let woken = false;
  let resumeRequested = false;
  let authPaused = reason !== undefined;
  if (authPaused) state = 'paused';

  setHandler(wakeSignal, () => {
    woken = true;
  });
  setHandler(resumeSignal, () => {
    resumeRequested = true;
    woken = true;
  });
  setHandler(progressQuery, (): SweepProgress => {
    const t = totals(partitions.map((p) => ({ index: p.index, done: p.done, total: p.total, state: p.completed ? 'completed' : state })));
    const rate = windowRate(samples);
    const allDone = partitions.length > 0 && partitions.every((p) => p.completed);
    return {
      kind,
      state,
      reason,
      done: t.done,
      total: t.total,
      totalIsEstimate: !allDone,
      ratePerSec: state === 'running' ? rate : undefined,
      etaMs: state === 'running' ? eta(t.done, t.total, rate) : undefined,
      failures: partitions.reduce((n, p) => n + p.failures, 0),
      mismatches: kind === 'verify' ? partitions.reduce((n, p) => n + p.mismatches, 0) : undefined,
      partitions: partitions.map((p) => ({
        index: p.index,
        done: p.done,
        total: p.completed ? p.done : Math.max(p.total, p.done),
        state: p.completed ? 'completed' : state,
      })),
      flag: flagName ? { name: flagName, enabled: flagEnabled } : undefined,
      startedAt,
      updatedAt: Date.now(),
      workflowId: info.workflowId,
      lastProgressAt,
    };
  });

  const shouldRoll = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.rollAfterEvents ?? HISTORY_EVENTS_BEFORE_ROLL);

  const roll = () =>
    continueAsNew<typeof sweepWorkflow>({ ...input, carried: { partitions, startedAt, samples, pausedReason: authPaused ? reason : undefined } });

  const record = () => {
    const done = partitions.reduce((n, p) => n + p.done, 0);
    const before = samples.length > 0 ? samples[samples.length - 1]!.done : 0;
    samples = pushSample(samples, { at: Date.now(), done });
    if (done > before) lastProgressAt = Date.now();
  };

  async function runPartition(p: PartitionState): Promise<'completed' | 'paused' | 'roll'> {
    while (!p.completed) {
      if (authPaused || !flagEnabled) return 'paused';
      if (shouldRoll()) return 'roll';
      let r;
      try {
        r = await sweepChunk({ plan, entity, kind, runKey, verify: input.verify, partition: p.index, range: p.range, cursor: p.cursor, maxMs: CHUNK_MS });
      } catch (err) {
        const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
        if (failure?.type !== 'TargetAuthError') throw err;
        // Credentials are wrong for every row alike: pause the whole sweep rather than log each row as failed.
        authPaused = true;
        reason = failure.message;
        return 'paused';
      }
      p.cursor = r.cursor;
      p.done = r.done;
      p.failures = r.failures;
      p.mismatches = r.mismatches;
      p.completed = r.completed;
      record();
      // The service failed after progress: wait (honouring Retry-After) before the next chunk.
      if (r.retryAfterMs) await sleep(r.retryAfterMs);
      if (r.flagOff) {
        flagEnabled = false;
        return 'paused';
      }
    }
    return 'completed';
  }

  if (!input.carried) {
    // Handlers are registered above first, so progress queries answer while the key space is split.
    partitions = await planSweep({ plan, entity, kind, runKey, verify: input.verify });
  }

  for (;;) {
    const flag = await readFlag({ plan, entity, kind });
    flagName = flag.name;
    flagEnabled = flag.enabled;
    if (authPaused || !flagEnabled) {
      state = 'paused';
      if (!authPaused) reason = `flag ${flag.name} is off — turn it on with \`migrate backfill --entity ${entity} --resume\``;
      woken = false;
      await condition(() => woken, FLAG_POLL);
      if (resumeRequested) {
        authPaused = false;
        resumeRequested = false;
      }
      if (shouldRoll()) await roll();
      continue;
    }
    state = 'running';
    reason = undefined;
    // allSettled, not all: a partition's chunk must finish before that partition can be driven
    // again, or two chunks would race on one cursor.
    const settled = await Promise.allSettled(partitions.filter((p) => !p.completed).map(runPartition));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      state = 'failed';
      const err = failed.reason as Error;
      reason = err instanceof ActivityFailure && err.cause ? err.cause.message : err.message;
      throw err;
    }
    if (settled.some((s) => s.status === 'fulfilled' && s.value === 'roll')) await roll();
    if (partitions.every((p) => p.completed)) break;
  }

  const result = await finishSweep({ plan, entity, kind, runKey, verify: input.verify, startedAt, partitions });
  state = 'completed';
  // Per-partition counts go with the result, so a reader's final frame agrees with the totals.
  return { ...result, partitions: partitions.map((p) => ({ index: p.index, done: p.done })) };
}
