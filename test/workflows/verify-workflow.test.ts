/**
 * The verification workflow on its own: real workflow code (and its sweep child) on the Temporal
 * dev server, activities mocked, so the re-check rounds are driven by what each round reports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChunkInput, ChunkResult, SweepRef } from '../../src/activities/sweepActivities.js';
import type { RecheckInput, RecheckResult, ReportInput, ScanChunkInput, ScanChunkResult } from '../../src/activities/verifyActivities.js';
import type { VerificationSummary } from '../../src/progress.js';
import type { PartitionState, SweepResult } from '../../src/workflows/definitions.js';
import type { VerifyInput, verifyWorkflow } from '../../src/workflows/verifyWorkflow.js';
import { recordHistory } from '../support/histories.js';
import { recorder, startMockWorker, type MockWorker } from '../support/mock-worker.js';

let mock: MockWorker | undefined;
afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

interface Scenario {
  rounds: number;
  /** Rows that differed in the sweep. */
  mismatches: number;
  /** What each re-check call answers, in order (pages of one round follow each other). */
  rechecks: RecheckResult[];
  /** Rows the catch-up scans find, per scan in order (the first scan follows the sweep). */
  catchUps?: number[];
}

function verifyActivities(s: Scenario) {
  const summary = (reportId: string): VerificationSummary => ({
    reportId, at: 0, compared: 100, matched: 100, missing: 0, different: 0, extra: 0, transient: 0, persistent: 0, persistentRate: 0, threshold: 0, passed: true,
  });
  return {
    verifySettings: recorder(() => ({ recheckAfterMs: 10, rounds: s.rounds, hasList: false })),
    planSweep: recorder<SweepRef, PartitionState[]>(() => [{ index: 0, range: {}, done: 0, total: 100, failures: 0, mismatches: 0, completed: false }]),
    readFlag: recorder(() => ({ enabled: true })),
    sweepChunk: recorder<ChunkInput, ChunkResult>(() => ({ cursor: [100], done: 100, failures: 0, mismatches: s.mismatches, completed: true, flagOff: false })),
    finishSweep: recorder<SweepRef & { partitions: PartitionState[] }, SweepResult>(() => ({ kind: 'verify', done: 100, failures: 0, mismatches: s.mismatches })),
    catchUpChunk: recorder<ScanChunkInput & { since: number }, ScanChunkResult>((_i, call) => ({ done: true, seen: 0, found: s.catchUps?.[call - 1] ?? 0 })),
    recheckChunk: recorder<RecheckInput, RecheckResult>((_i, call) => s.rechecks[call - 1] ?? { done: true, resolved: 0, stillDifferent: 0 }),
    settlePending: recorder(() => 0),
    verifyReport: recorder<ReportInput, { reportId: string; summary: VerificationSummary }>(() => ({ reportId: 'r-1', summary: summary('r-1') })),
  };
}

async function run(m: MockWorker, label: string) {
  const input: VerifyInput = { plan: 'p', entity: 'orders', run: label, options: {} };
  const handle = await m.client.workflow.start<typeof verifyWorkflow>('verifyWorkflow', { taskQueue: m.taskQueue, workflowId: m.id(label), args: [input] });
  return { handle, result: await handle.result() };
}

describe('verify workflow with mocked activities', () => {
  it('Given 3 rows that differed and 2 rounds, when round 1 resolves 2 of them over two pages, then round 2 runs as the last one and the report counts 2 rounds', async () => {
    const acts = verifyActivities({
      rounds: 2,
      mismatches: 3,
      rechecks: [
        { after: 'k1', done: false, resolved: 1, stillDifferent: 0 },
        { done: true, resolved: 1, stillDifferent: 1 },
        { done: true, resolved: 0, stillDifferent: 1 },
      ],
    });
    mock = await startMockWorker(acts);
    const { handle, result } = await run(mock, 'rounds');

    expect(result).toMatchObject({ reportId: 'r-1', compared: 100 });
    expect(acts.recheckChunk.calls.map((c) => ({ last: c.last, after: c.after }))).toEqual([
      { last: false, after: undefined },
      { last: false, after: 'k1' },
      { last: true, after: undefined },
    ]);
    // A catch-up after the sweep, and one between the rounds for rows written meanwhile.
    expect(acts.catchUpChunk.calls).toHaveLength(2);
    expect(acts.catchUpChunk.calls[1]!.since).toBeGreaterThanOrEqual(acts.catchUpChunk.calls[0]!.since);
    expect(acts.settlePending.calls).toEqual([]);
    expect(acts.verifyReport.calls[0]).toMatchObject({ rounds: 2, compared: 100, extrasChecked: false, extrasNote: expect.stringContaining('no list endpoint') });
    await recordHistory(handle, 'verify-recheck-rounds');
  });

  it('Given every difference resolves in round 1 and nothing new was written, when the run goes on, then round 2 is skipped', async () => {
    const acts = verifyActivities({ rounds: 3, mismatches: 2, rechecks: [{ done: true, resolved: 2, stillDifferent: 0 }] });
    mock = await startMockWorker(acts);
    await run(mock, 'early');
    expect(acts.recheckChunk.calls.map((c) => c.last)).toEqual([false]);
    expect(acts.verifyReport.calls[0]).toMatchObject({ rounds: 1 });
  });

  it('Given rows written during the sweep but none that differed in it, when the catch-up finds them, then they are re-checked', async () => {
    const acts = verifyActivities({ rounds: 1, mismatches: 0, catchUps: [4], rechecks: [{ done: true, resolved: 4, stillDifferent: 0 }] });
    mock = await startMockWorker(acts);
    await run(mock, 'catchup');
    expect(acts.recheckChunk.calls.map((c) => c.last)).toEqual([true]);
    expect(acts.verifyReport.calls[0]).toMatchObject({ rounds: 1 });
  });

  it('Given a sweep where every row matched, when the run goes on, then no round runs and the report counts 0 rounds', async () => {
    const acts = verifyActivities({ rounds: 2, mismatches: 0, rechecks: [] });
    mock = await startMockWorker(acts);
    await run(mock, 'clean');
    expect(acts.recheckChunk.calls).toEqual([]);
    expect(acts.verifyReport.calls[0]).toMatchObject({ rounds: 0 });
  });

  it('Given re-checks turned off (0 rounds), when rows differed, then what is queued is settled as found without a round', async () => {
    const acts = verifyActivities({ rounds: 0, mismatches: 5, rechecks: [] });
    mock = await startMockWorker(acts);
    await run(mock, 'norounds');
    expect(acts.recheckChunk.calls).toEqual([]);
    expect(acts.settlePending.calls).toHaveLength(1);
    expect(acts.verifyReport.calls[0]).toMatchObject({ rounds: 0 });
  });
});
