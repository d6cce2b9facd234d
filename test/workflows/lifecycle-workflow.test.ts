/**
 * The lifecycle workflow (`migrate run`) on its own: real workflow code on the Temporal dev server,
 * activities mocked over a small world the test sets (which phase workflows exist and how they
 * stand, the last verification, the cutover's progress, whether the entity was retired), and
 * stand-in phase workflows on a task queue of their own (test/fixtures/workflows/stub-phases.ts)
 * that record which workflow the run started, under which ID, with which input.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, inject } from 'vitest';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CutoverState, RunRef, RunSetup, VerificationState, WorkflowStatusName } from '../../src/activities/lifecycleActivities.js';
import type { RunStepName } from '../../src/lifecycle/runSteps.js';
import { wakeSignal } from '../../src/workflows/definitions.js';
import type { CutoverProgress } from '../../src/workflows/cutoverWorkflow.js';
import { runProgressQuery, type RunInput, type RunProgress, type lifecycleWorkflow } from '../../src/workflows/lifecycleWorkflow.js';
import type { StubPhaseCall } from '../fixtures/workflows/stub-phases.js';
import { eventually } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { recorder, startMockWorker, type MockWorker } from '../support/mock-worker.js';

let mock: MockWorker | undefined;
let stub: { stop(): Promise<void> } | undefined;
afterEach(async () => {
  await mock?.stop();
  await stub?.stop();
  mock = undefined;
  stub = undefined;
});

const ALL: RunStepName[] = ['capture', 'backfill', 'sync', 'verify', 'cutover', 'retire'];

/** The test's world: what each mocked activity sees. */
interface World {
  steps: RunStepName[];
  /** Status of a phase workflow by ID (default NONE until a stand-in ran it, then COMPLETED). */
  status: Map<string, WorkflowStatusName>;
  /** Phase workflows the run started, in order. */
  started: StubPhaseCall[];
  /** What a stand-in answers; throwing fails the phase workflow. */
  phaseResult: (call: StubPhaseCall) => unknown;
  dependencyWaits: string[];
  verification: VerificationState;
  /** Verification outcome once a run-started verification finished. */
  verifyPasses: boolean;
  cutover: CutoverState;
  retired: boolean;
  captureInstalled: boolean;
}

function world(steps: RunStepName[] = ALL): World {
  return {
    steps,
    status: new Map(),
    started: [],
    phaseResult: () => ({}),
    dependencyWaits: [],
    verification: { passedAfterBackfill: false },
    verifyPasses: true,
    cutover: { status: 'NONE' },
    retired: false,
    captureInstalled: false,
  };
}

const cutoverAt = (p: Partial<CutoverProgress>): CutoverProgress => ({
  workflowId: 'migrate/p/orders/cutover',
  entity: 'orders',
  step: 'acks',
  epoch: 1,
  stages: [],
  reads: {},
  writes: 'legacy',
  waitingFor: [],
  events: [],
  updatedAt: Date.now(),
  ...p,
});

function activities(w: World) {
  return {
    runSetup: recorder<RunRef, RunSetup>(() => ({ steps: w.steps, syncPollMs: 750, retired: w.retired })),
    ensureCapture: recorder<RunRef & { actor: string }, { installed: boolean }>(() => {
      const installed = !w.captureInstalled;
      w.captureInstalled = true;
      return { installed };
    }),
    ensurePhaseFlag: recorder<RunRef & { phase: string; actor: string }, { turnedOn: boolean }>(() => ({ turnedOn: true })),
    // The run records 'cutover.start' once its child start returned; from then on Temporal would
    // describe the cutover as running, even before the stand-in's first task reports progress (on a
    // loaded machine the run asked again in between, saw NONE and started the cutover twice).
    recordRunEvent: recorder<RunRef & { actor: string; action: string }, void>((i) => {
      if (i.action === 'cutover.start' && w.cutover.status === 'NONE') w.cutover = { status: 'RUNNING' };
    }),
    phaseWorkflowStatus: recorder<{ workflowId: string }, { status: WorkflowStatusName }>((i) => ({ status: w.status.get(i.workflowId) ?? 'NONE' })),
    awaitWorkflowClose: recorder<{ workflowId: string; maxMs: number }, { status: WorkflowStatusName }>((i) => ({ status: w.status.get(i.workflowId) ?? 'NONE' })),
    dependencyBackfillWaits: recorder<RunRef, string[]>(() => w.dependencyWaits),
    verificationState: recorder<RunRef, VerificationState>(() => w.verification),
    cutoverState: recorder<RunRef, CutoverState>(() => w.cutover),
    retiredState: recorder<RunRef, { retired: boolean }>(() => ({ retired: w.retired })),
  };
}

async function startStub(w: World): Promise<string> {
  const native = await NativeConnection.connect({ address: inject('temporalAddress') });
  const taskQueue = `phases-${Math.random().toString(16).slice(2, 10)}`;
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../fixtures/workflows/stub-phases.ts', import.meta.url)),
    activities: {
      stubPhase: async (call: StubPhaseCall) => {
        w.started.push(call);
        try {
          const out = w.phaseResult(call);
          w.status.set(call.workflowId, 'COMPLETED');
          if (call.type === 'verifyWorkflow' && w.verifyPasses) w.verification = { passedAfterBackfill: true, last: { run: (call.input as { run: string }).run, passed: true, persistent: 0, compared: 100, reportId: 'r1', startedAt: new Date().toISOString() } };
          if (call.type === 'verifyWorkflow' && !w.verifyPasses) w.verification = { passedAfterBackfill: false, last: { run: (call.input as { run: string }).run, passed: false, persistent: 3, compared: 100, reportId: 'r1', startedAt: new Date().toISOString() } };
          if (call.type === 'cutoverWorkflow') w.cutover = { status: 'RUNNING', progress: cutoverAt({ step: 'acks', stage: 'shadow', waitingFor: ['no acknowledgement of epoch 1 from billing'], next: 'migrate cutover --entity orders' }) };
          return out;
        } catch (e) {
          w.status.set(call.workflowId, 'FAILED');
          throw e;
        }
      },
    },
  });
  const running = worker.run();
  stub = {
    async stop() {
      worker.shutdown();
      await running;
      await native.close();
    },
  };
  return taskQueue;
}

async function start(m: MockWorker, w: World, label: string, extra: Partial<RunInput> = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof lifecycleWorkflow>> {
  const phaseTaskQueue = await startStub(w);
  const input: RunInput = { plan: 'p', entity: 'orders', actor: 'alice', pollMs: 100, phaseTaskQueue, ...extra };
  return m.client.workflow.start<typeof lifecycleWorkflow>('lifecycleWorkflow', { taskQueue: m.taskQueue, workflowId: m.id(label), args: [input] });
}

const until = (h: WorkflowHandle<typeof lifecycleWorkflow>, test: (p: RunProgress) => boolean) =>
  eventually(async () => {
    const p = await h.query(runProgressQuery);
    return test(p) && p;
  }, 30_000, 100);

describe('lifecycle workflow (migrate run) with mocked activities', () => {
  it('Given an entity with every phase and nothing run yet, when the run starts, then it installs capture, backfills, starts sync and verifies through the phase workflows’ own IDs, follows the cutover naming its next command, waits for retire, and ends done', async () => {
    const w = world();
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'all');

    const atCutover = await until(h, (p) => p.step === 'cutover' && p.waitingFor[0]?.startsWith('cutover at acks') === true);
    expect(w.started.map((c) => [c.type, c.workflowId])).toEqual([
      ['sweepWorkflow', 'migrate/p/orders/backfill'],
      ['syncWorkflow', 'migrate/p/orders/sync'],
      ['verifyWorkflow', expect.stringMatching(/^migrate\/p\/orders\/verify\/\d{8}T\d{6}Z-[0-9a-f]{6}$/)],
      ['cutoverWorkflow', 'migrate/p/orders/cutover'],
    ]);
    expect(w.started[0]!.input).toEqual({ plan: 'p', entity: 'orders', kind: 'backfill', runKey: 'backfill' });
    expect(w.started[1]!.input).toEqual({ plan: 'p', entity: 'orders', pollMs: 750 });
    expect(w.started[3]!.input).toEqual({ plan: 'p', entity: 'orders', actor: 'alice' });
    expect(acts.ensureCapture.calls).toHaveLength(1);
    expect(acts.ensurePhaseFlag.calls.map((c) => c.phase)).toEqual(['backfill', 'sync']);
    expect(acts.recordRunEvent.calls.map((c) => c.action)).toEqual(['backfill.requested', 'sync.start', 'verify.requested', 'cutover.start']);
    expect(atCutover.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'current', 'pending']);
    expect(atCutover.waitingFor).toEqual(['cutover at acks of stage shadow, epoch 1: no acknowledgement of epoch 1 from billing']);
    expect(atCutover.next).toBe('migrate cutover --entity orders');
    expect(atCutover.needsPerson).toBe(false);

    // The cutover's approval stops the run at the cutover's own command.
    w.cutover = { status: 'RUNNING', progress: cutoverAt({ step: 'approval', stage: 'reads', epoch: 2, waitingFor: ['approval of stage reads at epoch 2'], next: 'migrate cutover --entity orders --approve --stage reads --epoch 2' }) };
    const approval = await until(h, (p) => p.next?.includes('--approve') === true);
    expect(approval.waitingFor).toEqual(['cutover at approval of stage reads, epoch 2: approval of stage reads at epoch 2']);
    expect(approval.state).toBe('waiting');
    expect(approval.needsPerson).toBe(true);

    w.cutover = { status: 'RUNNING', progress: cutoverAt({ step: 'complete', stage: 'writes', epoch: 4, writes: 'new' }) };
    const retire = await until(h, (p) => p.step === 'retire' && p.waitingFor.length > 0);
    expect(retire.next).toBe('migrate retire --entity orders');
    expect(retire.needsPerson).toBe(true);

    w.retired = true;
    const done = await h.result();
    expect(done.step).toBe('done');
    expect(done.state).toBe('done');
    expect(done.steps.every((s) => s.state === 'done')).toBe(true);
    expect(done.events.map((e) => e.text)).toEqual(expect.arrayContaining(['change capture installed', 'backfill started', 'backfill finished', 'forward sync started', 'cutover complete at epoch 4', 'retired']));
    await recordHistory(h, 'lifecycle-run');
  });

  it('Given the backfill already finished by hand and sync already running, when the run starts, then it starts neither again and goes on to verify', async () => {
    const w = world(['backfill', 'sync', 'verify']);
    w.status.set('migrate/p/orders/backfill', 'COMPLETED');
    w.status.set('migrate/p/orders/sync', 'RUNNING');
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'by-hand');

    const done = await h.result();
    expect(done.step).toBe('done');
    expect(w.started.map((c) => c.type)).toEqual(['verifyWorkflow']);
    expect(acts.ensurePhaseFlag.calls).toEqual([]);
  });

  it('Given a backfill started by hand and still running, when the run reaches backfill, then it follows that workflow (naming it and its command) and goes on once it completes, starting no second backfill', async () => {
    const w = world(['backfill', 'verify']);
    w.status.set('migrate/p/orders/backfill', 'RUNNING');
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'follow');

    const following = await until(h, (p) => p.waitingFor.length > 0 && acts.awaitWorkflowClose.calls.length >= 2);
    expect(following.waitingFor).toEqual(['backfill running (migrate/p/orders/backfill)']);
    expect(following.next).toBe('migrate backfill --entity orders');
    expect(acts.awaitWorkflowClose.calls[0]).toEqual({ workflowId: 'migrate/p/orders/backfill', maxMs: 60_000 });

    w.status.set('migrate/p/orders/backfill', 'COMPLETED');
    await h.result();
    expect(w.started.map((c) => c.type)).toEqual(['verifyWorkflow']);
  });

  it('Given customers (a dependency) not backfilled yet, when the run reaches backfill, then it waits naming customers and starts the backfill only once customers is backfilled', async () => {
    const w = world(['backfill']);
    w.dependencyWaits = ['customers to be backfilled first (its backfill is running): `migrate run --entity customers`'];
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'depends');

    const held = await until(h, (p) => p.waitingFor.length > 0 && acts.dependencyBackfillWaits.calls.length >= 3);
    expect(held.waitingFor).toEqual(['customers to be backfilled first (its backfill is running): `migrate run --entity customers`']);
    expect(w.started).toEqual([]);
    expect(acts.ensurePhaseFlag.calls).toEqual([]);

    w.dependencyWaits = [];
    await h.result();
    expect(w.started.map((c) => c.type)).toEqual(['sweepWorkflow']);
  });

  it('Given a verification that does not pass, when the run verifies, then it waits for a person naming the mismatches and the repair command; a passing verification run by hand lets it go on without a second run-started one', async () => {
    const w = world(['verify', 'cutover']);
    w.verifyPasses = false;
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'verify-fails');

    const held = await until(h, (p) => p.waitingFor.some((x) => x.includes('did not pass')) && acts.verificationState.calls.length >= 5);
    const run = (w.started[0]!.input as { run: string }).run;
    expect(held.waitingFor).toEqual([`verification ${run} did not pass (3 persistent mismatches of 100); repair, then verify again (or run \`migrate run --entity orders\` to have the run verify)`]);
    expect(held.next).toBe('migrate verify --entity orders --repair');
    expect(held.needsPerson).toBe(true);
    expect(held.step).toBe('verify');
    expect(w.started.map((c) => c.type)).toEqual(['verifyWorkflow']);

    // Repaired and verified by hand: the run sees the passing report and moves on to the cutover.
    w.verification = { passedAfterBackfill: true, last: { run: 'by-hand', passed: true, persistent: 0, compared: 100, reportId: 'r2', startedAt: new Date().toISOString() } };
    await until(h, (p) => p.step === 'cutover');
    // The stand-in records its start when its first task runs, a moment after the run started it.
    await eventually(async () => w.started.length >= 2 || undefined, 30_000, 100);
    expect(w.started.map((c) => c.type)).toEqual(['verifyWorkflow', 'cutoverWorkflow']);
    await h.terminate();
  });

  it('Given a verification that did not pass, when `migrate run` wakes the run, then it verifies anew', async () => {
    const w = world(['verify']);
    w.verifyPasses = false;
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'verify-again');
    await until(h, (p) => p.waitingFor.some((x) => x.includes('did not pass')));

    w.verifyPasses = true;
    await h.signal(wakeSignal);
    const done = await h.result();
    expect(done.step).toBe('done');
    expect(w.started.map((c) => c.type)).toEqual(['verifyWorkflow', 'verifyWorkflow']);
  });

  it('Given the backfill the run started fails, when it fails, then the run pauses with the reason and tries again only when woken', async () => {
    const w = world(['backfill']);
    let fail = true;
    w.phaseResult = () => {
      if (fail) throw new Error('service answered 500 for every batch');
      return {};
    };
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'paused');

    const paused = await until(h, (p) => p.state === 'paused');
    expect(paused.paused?.reason).toMatch(/^the backfill failed: .*; see `migrate status`, then run it again$/);
    expect(paused.next).toBe('migrate run --entity orders');
    await new Promise((r) => setTimeout(r, 500));
    expect(w.started).toHaveLength(1);

    fail = false;
    await h.signal(wakeSignal);
    const done = await h.result();
    expect(done.step).toBe('done');
    expect(w.started).toHaveLength(2);
  });

  it('Given an entity retired already, when the run starts, then it does nothing and ends done', async () => {
    const w = world();
    w.retired = true;
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'retired');
    const done = await h.result();
    expect(done.state).toBe('done');
    expect(w.started).toEqual([]);
    expect(acts.ensureCapture.calls).toEqual([]);
  });

  it('Given a long wait at the cutover, when the history grows past the limit, then the run continues as new with its steps and events', async () => {
    const w = world(['backfill', 'cutover']);
    w.status.set('migrate/p/orders/backfill', 'COMPLETED');
    w.cutover = { status: 'RUNNING', progress: cutoverAt({ step: 'bake', stage: 'shadow', waitingFor: ['bake of stage shadow'] }) };
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, w, 'roll', { rollAfterEvents: 40 });

    await eventually(async () => (await h.describe()).runId !== h.firstExecutionRunId || undefined, 30_000, 100);
    const p = await until(h, (x) => x.step === 'cutover');
    expect(p.steps.map((s) => [s.name, s.state])).toEqual([
      ['backfill', 'done'],
      ['cutover', 'current'],
    ]);
    expect(acts.runSetup.calls).toHaveLength(1);
    await h.terminate();
  });
});
