/**
 * The write switch on its own: real workflow code on the Temporal dev server, the real write-switch
 * activities over an in-memory world (test/support/writeSwitchWorld.ts), the verification child's
 * activities mocked. Crashes are the loss of the execution at a step (terminated, then started
 * again with the same ID, as the cutover does): before the commit the switch undoes, after it
 * completes. Activity failures before the commit undo; after it they are retried until done.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/activity';
import type { ChunkResult } from '../../src/activities/sweepActivities.js';
import type { WriteSwitchTiming } from '../../src/cutover/writeSwitchSteps.js';
import type { VerificationSummary } from '../../src/progress.js';
import { planWriteSwitch } from '../../src/ops/writeSwitchDryRun.js';
import type { PartitionState } from '../../src/workflows/definitions.js';
import { reverseSyncWorkflowId, writeSwitchWorkflowId, type WriteSwitchInput, type WriteSwitchResult } from '../../src/workflows/cutoverDefinitions.js';
import { writeSwitchProgressQuery, type writeSwitchWorkflow } from '../../src/workflows/writeSwitchWorkflow.js';
import { eventually } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { recorder, startMockWorker, type MockWorker } from '../support/mock-worker.js';
import { ENTITY, PLAN, READS, ack, inForce, newWorld, published, worldActivities, worldResources, worldReversePath, type World } from '../support/writeSwitchWorld.js';

let mock: MockWorker | undefined;
const releases: (() => void)[] = [];
afterEach(async () => {
  for (const r of releases.splice(0)) r();
  await mock?.stop();
  mock = undefined;
});

const FAST: WriteSwitchTiming = { maxLagMs: 30_000, holdMs: 5_000, drainTimeoutMs: 3_000, catchUpTimeoutMs: 3_000, verifyMaxAgeMs: 86_400_000, pollMs: 200 };

/** The verification child's activities: a run that compares 40 rows and passes (or not). */
function verifyMocks(opts: { passed?: boolean; failReport?: boolean } = {}) {
  const summary: VerificationSummary = { reportId: 'r-ws', at: 0, compared: 40, matched: 40, missing: 0, different: 0, extra: 0, transient: 0, persistent: opts.passed === false ? 3 : 0, persistentRate: 0, threshold: 0, passed: opts.passed ?? true };
  return {
    verifySettings: recorder(() => ({ recheckAfterMs: 10, rounds: 0, hasList: false })),
    planSweep: recorder<unknown, PartitionState[]>(() => [{ index: 0, range: {}, done: 0, total: 40, failures: 0, mismatches: 0, completed: false }]),
    readFlag: recorder(() => ({ enabled: true })),
    sweepChunk: recorder<unknown, ChunkResult>(() => ({ cursor: [40], done: 40, failures: 0, mismatches: 0, completed: true, flagOff: false })),
    finishSweep: recorder(() => ({ kind: 'verify' as const, done: 40, failures: 0, mismatches: 0 })),
    catchUpChunk: recorder(() => ({ done: true, seen: 0, found: 0 })),
    recheckChunk: recorder(() => ({ done: true, resolved: 0, stillDifferent: 0 })),
    settlePending: recorder(() => 0),
    verifyReport: recorder<{ since?: unknown; options?: { since?: string } }, { reportId: string; summary: VerificationSummary }>(() => {
      if (opts.failReport) throw ApplicationFailure.create({ message: 'report store down', nonRetryable: true });
      return { reportId: 'r-ws', summary };
    }),
  };
}

type Acts = ReturnType<typeof worldActivities> & ReturnType<typeof verifyMocks>;
type Hook = <K extends keyof Acts>(name: K, input: Parameters<Acts[K]>[0], call: number) => Promise<void> | void;

/** The world's activities, fast timing unless `realTiming`, with `before` run ahead of each call (to fail or hang one). */
function activities(w: World, opts: { realTiming?: boolean; before?: Hook; after?: Hook; verify?: Parameters<typeof verifyMocks>[0] } = {}): Acts {
  // The reverse sync child the switch starts runs on this worker too: it finds nothing to apply.
  const reverseSyncChunk = async () => ({ changes: 0, upserted: 0, deleted: 0, skippedOwn: 0, failed: 0, lag: { pending: 0, oldestSeconds: 0 } });
  const base = { ...worldActivities(w), ...(opts.realTiming ? {} : { writeSwitchSettings: async () => FAST }), ...verifyMocks(opts.verify), reverseSyncChunk } as Acts;
  const calls = new Map<string, number>();
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(base)) {
    wrapped[name] = async (input: never) => {
      const n = (calls.get(name) ?? 0) + 1;
      calls.set(name, n);
      await opts.before?.(name as keyof Acts, input, n);
      const out = await (fn as (i: never) => Promise<unknown>)(input);
      await opts.after?.(name as keyof Acts, input, n);
      return out;
    };
  }
  return wrapped as Acts;
}

/** A promise that never settles until the test ends (then it fails), and a signal that it was reached. */
function hang(): { reached: Promise<void>; wait: () => Promise<never> } {
  let reached!: () => void;
  const r = new Promise<void>((res) => (reached = res));
  return {
    reached: r,
    wait: () => {
      reached();
      return new Promise<never>((_res, rej) => releases.push(() => rej(new Error('test over'))));
    },
  };
}

const forward = (extra: Partial<WriteSwitchInput> = {}): WriteSwitchInput => ({ plan: PLAN, entity: ENTITY, to: 'new', reads: READS, otherReads: 'new', epoch: 7, ...extra });
const back = (): WriteSwitchInput => ({ plan: PLAN, entity: ENTITY, to: 'legacy', reads: READS, otherReads: 'new', epoch: 7 });

async function start(m: MockWorker, label: string, input: WriteSwitchInput) {
  return m.client.workflow.start<typeof writeSwitchWorkflow>('writeSwitchWorkflow', { taskQueue: m.taskQueue, workflowId: `${writeSwitchWorkflowId(PLAN, ENTITY, 1)}-${m.id(label)}`, args: [input] });
}

/** The switch's progress once it waits at `step` for something. */
async function waitingAt(handle: Awaited<ReturnType<typeof start>>, step: string) {
  return eventually(async () => {
    const p = await handle.query(writeSwitchProgressQuery);
    return p.step === step && p.waitingFor.length > 0 && p;
  }, 20_000);
}

/**
 * Loses the execution at `step` — right after the step acted and before its journal entry is
 * written, or with `afterRecord` right after it is — and starts the switch again with the same ID.
 */
async function crashAt(w: World, step: string, input: WriteSwitchInput, label: string, afterRecord = false): Promise<WriteSwitchResult> {
  const h = hang();
  let crashed = false;
  const at: Hook = (name, i) => {
    if (!crashed && name === 'recordWriteSwitchStep' && (i as { step: string }).step === step) {
      crashed = true;
      return h.wait();
    }
  };
  mock = await startMockWorker(activities(w, afterRecord ? { after: at } : { before: at }));
  const first = await start(mock, label, input);
  await h.reached;
  await first.terminate('worker and history lost (test)');
  const again = await mock.client.workflow.start<typeof writeSwitchWorkflow>('writeSwitchWorkflow', { taskQueue: mock.taskQueue, workflowId: first.workflowId, args: [input] });
  return again.result();
}

const names = (r: WriteSwitchResult) => r.steps.map((s) => `${s.step}:${s.outcome}`);
const FORWARD = ['preconditions', 'fence', 'drain', 'catch-up', 'verify-changed', 'reverse-sync', 'journal', 'switch', 'unfence'];
const BACK = ['fence', 'drain', 'reverse-catch-up', 'journal', 'switch', 'stop-reverse-sync'];

describe('write switch to new', () => {
  it('Given every precondition met, when the switch runs, then it fences with a hold, drains, catches up, verifies, starts reverse sync, commits and switches writes to new, journalling and auditing each step', async () => {
    const w = newWorld();
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'happy', forward());
    const result = await handle.result();

    expect(result.outcome).toBe('switched');
    expect(result.epoch).toBe(9);
    expect(names(result)).toEqual(FORWARD.map((s) => `${s}:done`));
    expect(published(w)).toEqual(['8:fenced', '9:new']);
    expect((w.routing[1]!.document as { flags: Record<string, { metadata?: unknown }> }).flags['orders.writes']!.metadata).toEqual({ tracerFence: 'hold', tracerFenceHoldMs: 5000 });
    expect(w.journal.map((j) => `${j.seq}:${j.step}:${j.outcome}`)).toEqual(['begin', ...FORWARD].map((s, i) => `${i + 1}:${s}:done`));
    expect(w.journal.find((j) => j.step === 'catch-up')!.data).toEqual({ position: '120' });
    expect(w.audit.filter((a) => a.action === 'cutover.write-switch')).toHaveLength(10);
    // verify-changed compared the rows changed since the last verification started.
    expect(acts.verifyReport).toBeDefined();
    const history = await handle.fetchHistory();
    const child = (history.events ?? []).find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'reverseSyncWorkflow')!.startChildWorkflowExecutionInitiatedEventAttributes!;
    expect(child.workflowId).toBe(reverseSyncWorkflowId(PLAN, ENTITY));
    expect(String(child.parentClosePolicy)).toMatch(/ABANDON|2/);
    const verifyChild = (history.events ?? []).find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'verifyWorkflow');
    expect(verifyChild).toBeDefined();
    await recordHistory(handle, 'write-switch-forward');
  });

  it('Given the same world, when the dry run is asked and then the switch runs, then the dry run lists exactly the steps taken, in the same words, preconditions answers included', async () => {
    const w = newWorld();
    const dry = await planWriteSwitch(worldResources(w), forward(), { reversePath: worldReversePath(w) });
    mock = await startMockWorker(activities(w, { realTiming: true }));
    const result = await (await start(mock, 'dryrun', forward())).result();

    expect(result.outcome).toBe('switched');
    expect(result.steps.map((s) => ({ step: s.step, detail: s.detail }))).toEqual(dry);
    expect(dry[0]!.detail).toContain('reads new: yes (billing, reporting read new, acknowledged at epoch 7)');
  });

  it('Given a consumer still on shadow reads, forward sync 45 s behind and no verification, when the switch runs, then the preconditions refuse naming each, and nothing is published', async () => {
    const w = newWorld();
    w.forward = { ...w.forward, pending: 12, oldestSeconds: 45 };
    delete w.verification;
    mock = await startMockWorker(activities(w));
    const result = await (await start(mock, 'refuse', forward({ reads: { billing: 'new', reporting: 'shadow' } }))).result();

    expect(result.outcome).toBe('undone');
    expect(result.epoch).toBe(7);
    expect(result.reason).toBe(
      'preconditions not met: reads new (reporting reads shadow); forward sync lag (12 pending, oldest 45 s (max 30 s)); verification fresh and clean (no verification of orders yet: run `migrate verify --entity orders`)',
    );
    expect(names(result)).toEqual(['preconditions:failed']);
    expect(published(w)).toEqual([]);
  });

  it('Given an instance of billing not at the epoch in force and the reverse path not ready, when the switch runs, then the preconditions refuse naming the instance and the reverse path', async () => {
    const w = newWorld();
    w.acks[1] = ack('billing', 'b-2', 6, Date.now());
    w.reverse.ready = false;
    mock = await startMockWorker(activities(w));
    const result = await (await start(mock, 'refuse-acks', forward())).result();

    expect(result.reason).toBe('preconditions not met: reads new (not acknowledged at epoch 7: billing/b-2 (at epoch 6)); reverse path ready (reverse sync cannot write orders)');
    expect(published(w)).toEqual([]);
  });

  it('Given an instance with writes in flight at the fence, when the switch drains, then it waits naming that instance and goes on once it reports 0 in flight', async () => {
    const w = newWorld();
    w.autoAck = false;
    const acts = activities(w, {
      after: (name, input) => {
        if (name === 'publishWriteSwitchRouting' && (input as { epoch: number }).epoch === 8) {
          const now = Date.now();
          w.acks = [ack('billing', 'b-1', 8, now), ack('billing', 'b-2', 8, now, 2), ack('reporting', 'r-1', 8, now)];
        }
        if (name === 'publishWriteSwitchRouting' && (input as { epoch: number }).epoch === 9) w.acks = w.acks.map((a) => ({ ...a, epoch: 9, updatedAt: new Date() }));
      },
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'drain', forward());

    const waiting = await waitingAt(handle, 'drain');
    expect(waiting.waitingFor).toEqual(['billing/b-2 (2 writes in flight)']);
    w.acks = w.acks.map((a) => ({ ...a, inFlightWrites: 0, updatedAt: new Date() }));
    const result = await handle.result();
    expect(result.outcome).toBe('switched');
    expect(published(w)).toEqual(['8:fenced', '9:new']);
  });

  it('Given an instance that never acknowledges the fence, when the drain times out, then the switch undoes: writes legacy again at the next epoch, and the reason names the instance', async () => {
    const w = newWorld();
    w.autoAck = false;
    mock = await startMockWorker(activities(w));
    const result = await (await start(mock, 'drain-timeout', forward())).result();

    expect(result.outcome).toBe('undone');
    expect(result.reason).toBe('step drain failed: still waiting after 3 s for billing/b-1 (at epoch 7), billing/b-2 (at epoch 7), reporting/r-1 (at epoch 7)');
    expect(names(result)).toEqual(['preconditions:done', 'fence:done', 'drain:failed', 'undo:done']);
    expect(published(w)).toEqual(['8:fenced', '9:legacy']);
    expect(result.epoch).toBe(9);
  });

  it('Given forward sync that never reaches the position captured at the fence, when the catch-up times out, then the switch undoes', async () => {
    const w = newWorld();
    w.forward.pendingUpToHead = 4;
    mock = await startMockWorker(activities(w));
    const result = await (await start(mock, 'catchup-timeout', forward())).result();

    expect(result.reason).toBe('step catch-up failed: still waiting after 3 s for forward sync: 4 changes up to position 120 not applied');
    expect(published(w)).toEqual(['8:fenced', '9:legacy']);
  });

  it('Given forward sync by an updatedAt cursor with rows past it at the fence, when the switch catches up, then it waits until no row is past the cursor', async () => {
    const w = newWorld();
    w.capture = 'updatedAt';
    w.forward = { ...w.forward, pending: 3, oldestSeconds: 1 };
    mock = await startMockWorker(activities(w));
    const handle = await start(mock, 'cursor-catchup', forward());

    const waiting = await waitingAt(handle, 'catch-up');
    expect(waiting.waitingFor).toEqual(['forward sync: 3 rows changed after its updatedAt cursor']);
    w.forward.pending = 0;
    const result = await handle.result();
    expect(result.outcome).toBe('switched');
    expect(w.journal.find((j) => j.step === 'catch-up')!.data).toEqual({ position: 'updatedAt-cursor' });
  });

  it('Given the rows changed since the last verification differ in the service, when verify-changed runs, then the switch undoes before reverse sync starts', async () => {
    const w = newWorld();
    mock = await startMockWorker(activities(w, { verify: { passed: false } }));
    const handle = await start(mock, 'verify-differs', forward());
    const result = await handle.result();

    expect(result.outcome).toBe('undone');
    expect(result.reason).toMatch(/^step verify-changed failed: verification \S+-write-switch-\S+ found 3 persistent differences of 40 rows \(report r-ws\)$/);
    expect(names(result)).toEqual(['preconditions:done', 'fence:done', 'drain:done', 'catch-up:done', 'verify-changed:failed', 'undo:done']);
    expect(published(w)).toEqual(['8:fenced', '9:legacy']);
    const history = await handle.fetchHistory();
    expect((history.events ?? []).some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'reverseSyncWorkflow')).toBe(false);
  });

  const failing: [string, keyof Acts, string[]][] = [
    ['preconditions', 'checkWriteSwitchPreconditions', []],
    ['fence', 'publishWriteSwitchRouting', []],
    ['drain', 'checkWriteSwitchAcks', ['8:fenced', '9:legacy']],
    ['catch-up', 'forwardPendingUpTo', ['8:fenced', '9:legacy']],
    ['verify-changed', 'verifyReport', ['8:fenced', '9:legacy']],
  ];
  it.each(failing)('Given the activity of step %s failing for good, when the switch reaches it, then it undoes and writes stay (or are again) legacy', async (step, activity, expected) => {
    const w = newWorld();
    mock = await startMockWorker(
      activities(w, {
        ...(activity === 'verifyReport' ? { verify: { failReport: true } } : {}),
        before: (name) => {
          if (name === activity && activity !== 'verifyReport') throw ApplicationFailure.create({ message: `${String(activity)} broke`, nonRetryable: true });
        },
      }),
    );
    const result = await (await start(mock, `fail-${step}`, forward())).result();

    expect(result.outcome).toBe('undone');
    expect(result.reason).toMatch(new RegExp(`^step ${step} failed: `));
    expect(result.steps.find((s) => s.step === step)!.outcome).toBe('failed');
    expect(published(w)).toEqual(expected);
    expect(inForce(w).writes).toBe('legacy');
  });

  it('Given publishing the switch fails twice after the commit, when the switch goes on, then it retries until writes are new (nothing is undone after the commit)', async () => {
    const w = newWorld();
    mock = await startMockWorker(
      activities(w, {
        before: (name, input, call) => {
          if (name === 'publishWriteSwitchRouting' && (input as { step: string }).step === 'switch' && call <= 3) throw new Error('flag store unreachable');
        },
      }),
    );
    const result = await (await start(mock, 'fail-after-commit', forward())).result();

    expect(result.outcome).toBe('switched');
    expect(published(w)).toEqual(['8:fenced', '9:new']);
  });

  it('Given the worker running the drain check dies inside the fence (the activity never answers nor heartbeats again), when the switch goes on, then the check is retried after the heartbeat timeout, not after start-to-close, and the switch completes', async () => {
    const w = newWorld();
    const h = hang();
    mock = await startMockWorker(
      activities(w, {
        // Before the kept-alive activity body: a worker that died here sends no heartbeat, like a SIGKILLed one.
        before: (name, _input, call) => (name === 'checkWriteSwitchAcks' && call === 1 ? h.wait() : undefined),
      }),
    );
    const handle = await start(mock, 'dead-drain', forward());
    const result = await handle.result();

    expect(result.outcome).toBe('switched');
    expect(names(result)).toEqual(FORWARD.map((s) => `${s}:done`));
    const events = (await handle.fetchHistory()).events ?? [];
    const drainCheck = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkWriteSwitchAcks')!;
    const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(drainCheck.eventId))!.activityTaskStartedEventAttributes!;
    expect(started.attempt).toBe(2);
    expect(String(started.lastFailure?.timeoutFailureInfo?.timeoutType)).toMatch(/HEARTBEAT|4/);
  }, 40_000);

  // The execution is lost right after step S acted and before its journal entry was written.
  const crashes: [string, 'undone' | 'switched', string[]][] = [
    ['preconditions', 'undone', []],
    ['fence', 'undone', ['8:fenced', '9:legacy']],
    ['drain', 'undone', ['8:fenced', '9:legacy']],
    ['catch-up', 'undone', ['8:fenced', '9:legacy']],
    ['verify-changed', 'undone', ['8:fenced', '9:legacy']],
    ['reverse-sync', 'undone', ['8:fenced', '9:legacy']],
    ['journal', 'undone', ['8:fenced', '9:legacy']],
    ['switch', 'switched', ['8:fenced', '9:new']],
    ['unfence', 'switched', ['8:fenced', '9:new']],
  ];
  it.each(crashes)('Given the execution lost at step %s, when the switch is started again with the same ID, then it resumes from the journal: %s', async (step, outcome, expected) => {
    const w = newWorld();
    const result = await crashAt(w, step, forward(), `crash-${step}`);

    expect(result.outcome).toBe(outcome);
    expect(published(w)).toEqual(expected);
    if (outcome === 'undone') {
      const i = FORWARD.indexOf(step);
      expect(result.reason).toBe(`an earlier run of this switch stopped after ${i === 0 ? 'it began' : `step ${FORWARD[i - 1]}`}, before the commit; the switch was undone`);
      expect(w.journal.map((j) => j.step)).not.toContain('journal');
    } else {
      expect(w.journal.filter((j) => j.outcome === 'done').map((j) => j.step)).toEqual(['begin', ...FORWARD]);
    }
    // Reverse sync started by a switch that did not commit is stopped again.
    const stopped = w.journal.some((j) => j.step === 'stop-reverse-sync');
    expect(stopped).toBe(step === 'reverse-sync' || step === 'journal');
  });

  it('Given the execution lost right after the commit entry was written, when started again, then it completes the switch without undoing', async () => {
    const w = newWorld();
    const result = await crashAt(w, 'journal', forward(), 'crash-after-commit', true);

    expect(result.outcome).toBe('switched');
    expect(names(result)).toEqual(FORWARD.map((s) => `${s}:done`));
    expect(published(w)).toEqual(['8:fenced', '9:new']);
  });
});

describe('a switch started again after it ended', () => {
  it.each([
    ['switched', false, ['8:fenced', '9:new']],
    ['undone', true, ['8:fenced', '9:legacy']],
  ] as const)('Given a switch that ended %s, when its ID is started again, then it answers the same outcome and publishes and journals nothing more', async (outcome, drainFails, expected) => {
    const w = newWorld();
    w.autoAck = !drainFails;
    mock = await startMockWorker(activities(w));
    const first = await start(mock, `again-${outcome}`, forward());
    const before = await first.result();
    const journalled = w.journal.length;
    const again = await (await mock.client.workflow.start<typeof writeSwitchWorkflow>('writeSwitchWorkflow', { taskQueue: mock.taskQueue, workflowId: first.workflowId, args: [forward()] })).result();

    expect(before.outcome).toBe(outcome);
    expect(again.outcome).toBe(outcome);
    const withoutTimes = (r: WriteSwitchResult) => r.steps.map(({ at: _at, ...st }) => st);
    expect(withoutTimes(again)).toEqual(withoutTimes(before));
    expect(published(w)).toEqual(expected);
    expect(w.journal).toHaveLength(journalled);
  });
});

describe('write switch back to legacy (rollback)', () => {
  it('Given writes on new, when the switch back runs, then it fences, drains, waits for reverse sync to reach the service position at the fence, commits, writes legacy and stops reverse sync', async () => {
    const w = newWorld('new');
    w.reverse.pendingUpToHead = 3;
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'back', back());

    const waiting = await waitingAt(handle, 'reverse-catch-up');
    expect(waiting.waitingFor).toEqual(['reverse sync: 3 service changes up to position svc-55 not applied']);
    w.reverse.pendingUpToHead = 0;
    const result = await handle.result();

    expect(result.outcome).toBe('switched');
    expect(names(result)).toEqual(BACK.map((s) => `${s}:done`));
    expect(published(w)).toEqual(['8:fenced', '9:legacy']);
    // Reverse sync is asked to stop with the sync stop signal (it finishes its chunk), not cancelled.
    const stop = ((await handle.fetchHistory()).events ?? []).find((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)!.signalExternalWorkflowExecutionInitiatedEventAttributes!;
    expect(stop.signalName).toBe('stopSync');
    expect(stop.workflowExecution?.workflowId).toBe(reverseSyncWorkflowId(PLAN, ENTITY));
    await recordHistory(handle, 'write-switch-rollback');
  });

  const crashes: [string, 'undone' | 'switched', string[]][] = [
    ['fence', 'undone', ['8:fenced', '9:new']],
    ['drain', 'undone', ['8:fenced', '9:new']],
    ['reverse-catch-up', 'undone', ['8:fenced', '9:new']],
    ['journal', 'undone', ['8:fenced', '9:new']],
    ['switch', 'switched', ['8:fenced', '9:legacy']],
    ['stop-reverse-sync', 'switched', ['8:fenced', '9:legacy']],
  ];
  it.each(crashes)('Given the rollback lost at step %s, when started again with the same ID, then it resumes from the journal: %s', async (step, outcome, expected) => {
    const w = newWorld('new');
    const result = await crashAt(w, step, back(), `back-crash-${step}`);

    expect(result.outcome).toBe(outcome);
    expect(published(w)).toEqual(expected);
    const i = BACK.indexOf(step);
    if (outcome === 'undone') expect(result.reason).toBe(`an earlier run of this switch stopped after ${i === 0 ? 'it began' : `step ${BACK[i - 1]}`}, before the commit; the switch was undone`);
    else expect(names(result)).toEqual(BACK.map((s) => `${s}:done`));
  });

  it('Given reverse sync that never catches up, when the rollback times out, then it undoes: writes stay on new', async () => {
    const w = newWorld('new');
    w.reverse.pendingUpToHead = 2;
    mock = await startMockWorker(activities(w));
    const result = await (await start(mock, 'back-timeout', back())).result();

    expect(result.outcome).toBe('undone');
    expect(result.reason).toBe('step reverse-catch-up failed: still waiting after 3 s for reverse sync: 2 service changes up to position svc-55 not applied');
    expect(published(w)).toEqual(['8:fenced', '9:new']);
  });
});
