/**
 * The cutover workflow on its own: real workflow code on the Temporal dev server, activities
 * mocked (a routing store, consumer evidence the test sets), and a stand-in write switch child on a
 * task queue of its own (test/fixtures/workflows/stub-write-switch.ts). Every transition is driven
 * by what the evidence says and what the operator asks.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CutoverRef, CutoverSetup, GatherEvidenceInput, PublishCutoverRoutingInput } from '../../src/activities/cutoverActivities.js';
import type { ConsumerEvidence, GateEvidence } from '../../src/cutover/gates.js';
import { resolveStages } from '../../src/cutover/stages.js';
import type { CutoverPhase } from '../../src/plan/schema.js';
import type { WriteSwitchInput, WriteSwitchResult } from '../../src/workflows/cutoverDefinitions.js';
import { abortCutoverUpdate, approveCutoverUpdate, cutoverProgressQuery, pauseCutoverUpdate, resumeCutoverUpdate, type CutoverInput, type CutoverProgress, type cutoverWorkflow } from '../../src/workflows/cutoverWorkflow.js';
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

const READS_THEN_WRITES: CutoverPhase = {
  consumers: ['billing', 'reporting'],
  stages: [
    { name: 'shadow', reads: 'shadow', gate: { maxMismatchRate: 0.05, minSamples: 100 } },
    { name: 'reads', reads: 'new', gate: { approval: true } },
    { name: 'writes', writes: 'new', gate: {} },
  ],
};

/** The test's world: routing published so far and what consumers report at each epoch. */
interface World {
  epoch: number;
  published: PublishCutoverRoutingInput[];
  /** Epoch a consumer's one instance applies (default: the epoch in force); null = it never reported. */
  ackOf: (consumer: string, epoch: number) => number | null | undefined;
  /** Shadow outcomes of a consumer at an epoch (default 200 matches). */
  shadowOf: (consumer: string, epoch: number) => { match: number; mismatch: number };
  extra: Partial<GateEvidence>;
  switches: WriteSwitchInput[];
  switchResult: (input: WriteSwitchInput) => WriteSwitchResult;
  /** What a dependency's cutover holds a stage up for (default nothing). */
  dependencyWaits: (stage: string) => string[];
}

function world(): World {
  const w: World = {
    epoch: 0,
    published: [],
    ackOf: () => undefined,
    shadowOf: () => ({ match: 200, mismatch: 0 }),
    extra: {},
    switches: [],
    // The switch fences (epoch + 1) and switches (epoch + 2).
    switchResult: (i) => ({ outcome: 'switched', epoch: i.epoch + 2, steps: [] }),
    dependencyWaits: () => [],
  };
  return w;
}

function activities(w: World, phase: CutoverPhase = READS_THEN_WRITES) {
  return {
    cutoverSetup: recorder<CutoverRef, CutoverSetup>(() => ({ consumers: phase.consumers, ...resolveStages(phase) })),
    publishCutoverRouting: recorder<PublishCutoverRoutingInput, { epoch: number; publishedAt: number }>((i) => {
      if (i.epoch !== w.epoch + 1) throw new Error(`stale epoch ${i.epoch}, in force ${w.epoch}`);
      w.epoch = i.epoch;
      w.published.push(i);
      return { epoch: i.epoch, publishedAt: Date.now() };
    }),
    cutoverDependencyWaits: recorder<CutoverRef & { stage: string }, string[]>((i) => w.dependencyWaits(i.stage)),
    gatherCutoverEvidence: recorder<GatherEvidenceInput, GateEvidence>((i) => {
      const consumers: Record<string, ConsumerEvidence> = {};
      for (const c of i.consumers) {
        const ack = w.ackOf(c, i.epoch);
        const applied = ack === undefined ? w.epoch : ack;
        consumers[c] = {
          instances: applied === null ? [] : [{ instance: `${c}-1`, epoch: applied, updatedAt: Date.now(), inFlightWrites: 0, routingStale: false }],
          shadow: { ...w.shadowOf(c, i.epoch), candidateError: 0, timeout: 0 },
          readsNew: 500,
        };
      }
      return { epoch: i.epoch, at: Date.now(), consumers, ...w.extra };
    }),
  };
}

async function startStub(w: World): Promise<string> {
  const native = await NativeConnection.connect({ address: inject('temporalAddress') });
  const taskQueue = `ws-${Math.random().toString(16).slice(2, 10)}`;
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../fixtures/workflows/stub-write-switch.ts', import.meta.url)),
    activities: {
      stubWriteSwitch: async (i: WriteSwitchInput) => {
        w.switches.push(i);
        const r = w.switchResult(i);
        w.epoch = r.epoch;
        return r;
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

async function start(m: MockWorker, label: string, extra: Partial<CutoverInput> = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof cutoverWorkflow>> {
  const input: CutoverInput = { plan: 'p', entity: 'orders', actor: 'alice', pollMs: 200, ...extra };
  return m.client.workflow.start<typeof cutoverWorkflow>('cutoverWorkflow', { taskQueue: m.taskQueue, workflowId: m.id(label), args: [input] });
}

const until = (h: WorkflowHandle<typeof cutoverWorkflow>, test: (p: CutoverProgress) => boolean) =>
  eventually(async () => {
    const p = await h.query(cutoverProgressQuery);
    return test(p) && p;
  }, 30_000);

const ctl = { actor: 'alice' };

/** The validator's words when an update is refused. */
async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  return (e as WorkflowUpdateFailedError).cause?.message;
}

describe('cutover workflow with mocked activities', () => {
  it('Given clean evidence, when the cutover runs, then it publishes shadow (epoch 1) and reads (epoch 2), waits for the approval of reads at epoch 2, refuses a stale one, and then switches writes through the child with every read on new', async () => {
    const w = world();
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const q = await startStub(w);
    const h = await start(mock, 'stages', { writeSwitchTaskQueue: q });

    const waiting = await until(h, (p) => p.step === 'approval');
    expect(waiting).toMatchObject({ stage: 'reads', epoch: 2, reads: { billing: 'new', reporting: 'new' }, writes: 'legacy', next: 'migrate cutover --entity orders --approve --stage reads --epoch 2' });
    expect(waiting.waitingFor).toEqual(['approval of stage reads at epoch 2']);
    expect(w.published.map((p) => [p.epoch, p.reads, p.writes, p.reason])).toEqual([
      [1, { billing: 'shadow', reporting: 'shadow' }, 'legacy', 'stage shadow published'],
      [2, { billing: 'new', reporting: 'new' }, 'legacy', 'stage reads published'],
    ]);

    // An approval given for the previous stage (or an older epoch) cannot pass this gate.
    await expect(h.executeUpdate(approveCutoverUpdate, { args: [{ stage: 'shadow', epoch: 1, ...ctl }] })).rejects.toThrow(WorkflowUpdateFailedError);
    expect(await refusal(h.executeUpdate(approveCutoverUpdate, { args: [{ stage: 'reads', epoch: 1, ...ctl }] }))).toBe('stale approval: it names stage reads at epoch 1, the cutover waits for stage reads at epoch 2');
    expect((await h.query(cutoverProgressQuery)).step).toBe('approval');

    await h.executeUpdate(approveCutoverUpdate, { args: [{ stage: 'reads', epoch: 2, actor: 'alice', reason: 'dashboards fine' }] });
    const done = await until(h, (p) => p.step === 'complete');
    expect(w.switches).toEqual([{ plan: 'p', entity: 'orders', to: 'new', reads: { billing: 'new', reporting: 'new' }, otherReads: 'legacy', epoch: 2 }]);
    expect(done).toMatchObject({ epoch: 4, writes: 'new', stage: 'writes' });
    expect(done.stages.map((s) => s.state)).toEqual(['done', 'done', 'done']);
    expect(done.events.map((e) => e.text)).toContain('approved stage reads at epoch 2 by alice: dashboards fine');
    await recordHistory(h, 'cutover-stages');
    await h.terminate();
  });

  it('Given a dependency that has not reached stage reads, when shadow passes, then reads is not published and the cutover names the dependency; once it reached reads, reads is published', async () => {
    const w = world();
    let customersAt = 'shadow';
    w.dependencyWaits = (stage) => (stage === 'reads' && customersAt !== 'reads' ? [`customers to reach stage reads first (customers is at acks of stage ${customersAt})`] : []);
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, 'depends');

    const held = await until(h, (p) => p.waitingFor.some((x) => x.startsWith('customers')) && acts.cutoverDependencyWaits.calls.length >= 3);
    expect(held.waitingFor).toEqual(['customers to reach stage reads first (customers is at acks of stage shadow)']);
    expect(held.stage).toBe('shadow');
    expect(w.published.map((p) => p.reason)).toEqual(['stage shadow published']);
    expect(acts.cutoverDependencyWaits.calls.map((c) => c.stage)).toContain('shadow');

    customersAt = 'reads';
    const approval = await until(h, (p) => p.step === 'approval');
    expect(approval.stage).toBe('reads');
    expect(w.published.map((p) => p.reason)).toEqual(['stage shadow published', 'stage reads published']);
    await h.terminate();
  });

  it('Given the worker dies inside the first publish (no answer, no heartbeat), when the cutover goes on, then the publish is retried after the 10 s heartbeat timeout, not the 5-minute start-to-close, and shadow is published', async () => {
    const w = world();
    const acts = activities(w);
    let publishes = 0;
    let release!: () => void;
    const dead = new Promise<never>((_res, rej) => (release = () => rej(new Error('test over'))));
    const publish = acts.publishCutoverRouting;
    mock = await startMockWorker({ ...acts, publishCutoverRouting: (i: PublishCutoverRoutingInput) => (++publishes === 1 ? dead : publish(i)) });
    const h = await start(mock, 'dead-publish');

    // until() gives up after 30 s, far below the 5-minute start-to-close.
    await until(h, (p) => p.epoch >= 1);
    expect(w.published[0]?.reason).toBe('stage shadow published');
    const events = (await h.fetchHistory()).events ?? [];
    const retried = events.find((e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.attempt) === 2)?.activityTaskStartedEventAttributes;
    expect(String(retried?.lastFailure?.timeoutFailureInfo?.timeoutType)).toMatch(/HEARTBEAT|4/);
    await h.terminate();
    release(); // the dead attempt ends, so the worker can shut down
  }, 45_000);

  it('Given reporting never reports, when the shadow stage is published, then the cutover waits naming reporting and the epoch, and never gathers the gate', async () => {
    const w = world();
    w.ackOf = (c) => (c === 'reporting' ? null : undefined);
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const h = await start(mock, 'no-ack');

    const p = await until(h, (x) => x.step === 'acks' && x.waitingFor.length > 0 && acts.gatherCutoverEvidence.calls.length >= 3);
    expect(p.waitingFor).toEqual(['no acknowledgement of epoch 1 from reporting']);
    expect(p.gate).toBeUndefined();
    expect(w.published).toHaveLength(1);
    await h.terminate();
  });

  it('Given too few shadow samples from billing, when the gate is evaluated, then the cutover pauses saying how many are missing; after resume with enough samples it goes on', async () => {
    const w = world();
    let samples = 40;
    w.shadowOf = (c) => (c === 'billing' ? { match: samples, mismatch: 0 } : { match: 200, mismatch: 0 });
    mock = await startMockWorker(activities(w));
    const h = await start(mock, 'inconclusive');

    const paused = await until(h, (p) => p.step === 'paused');
    expect(paused.paused).toMatchObject({ by: 'gate', reason: 'gate of stage shadow is inconclusive: 60 more samples from billing' });
    expect(paused.next).toBe('migrate cutover --entity orders --resume');
    expect(paused.gate?.result.verdict).toBe('inconclusive');
    expect(w.published).toHaveLength(1);

    samples = 150;
    await h.executeUpdate(resumeCutoverUpdate, { args: [ctl] });
    const next = await until(h, (p) => p.step === 'approval');
    expect(next.stage).toBe('reads');
    await h.terminate();
  });

  it('Given billing’s shadow reads mismatch far above the limit, when the shadow gate fails, then the cutover rolls back to the routing before it by itself and pauses', async () => {
    const w = world();
    w.shadowOf = (c) => (c === 'billing' ? { match: 150, mismatch: 50 } : { match: 200, mismatch: 0 });
    mock = await startMockWorker(activities(w));
    const h = await start(mock, 'rollback');

    const paused = await until(h, (p) => p.step === 'paused');
    expect(paused.paused?.by).toBe('rollback');
    expect(paused.paused?.reason).toBe('gate of stage shadow failed: billing: mismatch rate 25.00% is above 5.00%; rolled back to the routing before the first stage (epoch 2)');
    expect(w.published.map((p) => [p.epoch, p.reads])).toEqual([
      [1, { billing: 'shadow', reporting: 'shadow' }],
      [2, { billing: 'legacy', reporting: 'legacy' }],
    ]);
    expect(paused.stage).toBeUndefined();
    expect(paused.reads).toEqual({ billing: 'legacy', reporting: 'legacy' });
    await h.terminate();
  });

  it('Given the writes stage is in force and the gate fails on persistent mismatches, when evaluated, then writes roll back to legacy through the write switch; a merely late sync instead pauses for a person', async () => {
    const w = world();
    mock = await startMockWorker(activities(w));
    const q = await startStub(w);
    const h = await start(mock, 'writes-fail', { writeSwitchTaskQueue: q });
    await until(h, (p) => p.step === 'approval');
    // After the switch, the verification finds persistent mismatches: an integrity signal.
    w.extra = { verification: { reportId: 'r1', finishedAt: Date.now(), passed: false, persistent: 4, compared: 1000 } };
    await h.executeUpdate(approveCutoverUpdate, { args: [{ stage: 'reads', epoch: 2, ...ctl }] });

    const paused = await until(h, (p) => p.step === 'paused');
    expect(w.switches.map((s) => [s.to, s.epoch])).toEqual([
      ['new', 2],
      ['legacy', 4],
    ]);
    expect(paused).toMatchObject({ stage: 'reads', writes: 'legacy', epoch: 6 });
    expect(paused.paused?.by).toBe('rollback');
    await h.terminate();

    // The same stage with only a lagging sync: not an integrity signal, so writes stay on new.
    const w2 = world();
    await mock.stop();
    await stub!.stop();
    mock = await startMockWorker(activities(w2));
    const q2 = await startStub(w2);
    const h2 = await start(mock, 'writes-late', { writeSwitchTaskQueue: q2 });
    await until(h2, (p) => p.step === 'approval');
    w2.extra = { sync: { running: true, pending: 40, oldestSeconds: 90, maxLagMs: 30_000 } };
    await h2.executeUpdate(approveCutoverUpdate, { args: [{ stage: 'reads', epoch: 2, ...ctl }] });
    const held = await until(h2, (p) => p.step === 'paused');
    expect(held.paused?.by).toBe('gate');
    expect(held.writes).toBe('new');
    expect(w2.switches.map((s) => s.to)).toEqual(['new']);
    await h2.terminate();
  });

  it('Given a plan whose writes stage comes before every read is new, when the cutover starts, then it fails before publishing anything, naming the field and the fix', async () => {
    const w = world();
    const bad: CutoverPhase = { consumers: ['billing', 'reporting'], stages: [{ name: 'shadow', reads: 'shadow', gate: {} }, { name: 'writes', writes: 'new', gate: {} }] };
    const acts = activities(w, bad);
    mock = await startMockWorker(acts);
    const h = await start(mock, 'writes-first');
    const err = await h.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toBe(
      'the cutover of orders cannot run: stages[1].writes: stage "writes" switches writes before every consumer reads from new (still not: billing, reporting) (add a stage with "reads: new" for every consumer before the writes stage; writes never switch before reads)',
    );
    expect(acts.publishCutoverRouting.calls).toEqual([]);
  });

  it('Given a cutover waiting for acknowledgements, when paused, resumed and aborted to legacy, then each takes effect: resume refused unless paused, abort publishes every consumer on legacy and ends', async () => {
    const w = world();
    w.ackOf = (c) => (c === 'reporting' ? null : undefined);
    mock = await startMockWorker(activities(w));
    const h = await start(mock, 'controls');
    await until(h, (p) => p.step === 'acks' && p.waitingFor.length > 0);

    expect(await refusal(h.executeUpdate(resumeCutoverUpdate, { args: [ctl] }))).toBe('the cutover of orders is not paused (it is at acks of stage shadow, epoch 1)');
    await h.executeUpdate(pauseCutoverUpdate, { args: [{ actor: 'bob', reason: 'incident' }] });
    const paused = await until(h, (p) => p.step === 'paused');
    expect(paused.paused).toMatchObject({ by: 'operator', reason: 'paused by bob: incident' });
    expect(await refusal(h.executeUpdate(pauseCutoverUpdate, { args: [ctl] }))).toBe('the cutover of orders is already paused (paused by bob: incident)');

    await h.executeUpdate(resumeCutoverUpdate, { args: [ctl] });
    await until(h, (p) => p.step === 'acks');

    await h.executeUpdate(abortCutoverUpdate, { args: [{ actor: 'bob', to: 'legacy', reason: 'not today' }] });
    const end = await h.result();
    expect(end.step).toBe('aborted');
    expect(w.published.map((p) => [p.epoch, p.reads, p.reason])).toEqual([
      [1, { billing: 'shadow', reporting: 'shadow' }, 'stage shadow published'],
      [2, { billing: 'legacy', reporting: 'legacy' }, 'aborted by bob: not today: every consumer back on legacy'],
    ]);
  });

  it('Given the reads stage waiting for approval, when aborted to the previous stage, then the shadow routing is published again and the cutover pauses; resume publishes reads again', async () => {
    const w = world();
    mock = await startMockWorker(activities(w));
    const h = await start(mock, 'abort-previous');
    await until(h, (p) => p.step === 'approval');

    await h.executeUpdate(abortCutoverUpdate, { args: [{ actor: 'bob' }] });
    const paused = await until(h, (p) => p.step === 'paused');
    expect(paused).toMatchObject({ stage: 'shadow', epoch: 3, reads: { billing: 'shadow', reporting: 'shadow' } });
    expect(paused.paused?.reason).toBe('abort by bob; rolled back to stage shadow (epoch 3)');

    await h.executeUpdate(resumeCutoverUpdate, { args: [ctl] });
    const again = await until(h, (p) => p.step === 'approval');
    expect(again).toMatchObject({ stage: 'reads', epoch: 4 });
    await h.terminate();
  });

  it('Given a long wait for acknowledgements, when the history grows past the limit, then the cutover continues as new with its stage, epoch and events', async () => {
    const w = world();
    let reporting: null | undefined = null;
    w.ackOf = (c) => (c === 'reporting' ? reporting : undefined);
    const acts = activities(w);
    mock = await startMockWorker(acts);
    const first = await start(mock, 'roll', { rollAfterEvents: 40 });
    const h = mock.client.workflow.getHandle<typeof cutoverWorkflow>(first.workflowId);

    await eventually(async () => {
      const d = await h.describe();
      return d.runId !== first.firstExecutionRunId && d;
    }, 30_000);
    const rolled = await h.query(cutoverProgressQuery);
    expect(rolled).toMatchObject({ step: 'acks', epoch: 1, target: 'shadow' });
    expect(rolled.events.map((e) => e.text)).toEqual(['stage shadow published']);
    expect(acts.cutoverSetup.calls).toHaveLength(1);

    // reporting starts reporting: from now on it applies whatever epoch is in force.
    reporting = undefined;
    const next = await until(h, (p) => p.step === 'approval');
    expect(next.epoch).toBe(2);
    expect(w.published).toHaveLength(2);
    await recordHistory(h, 'cutover-continue-as-new');
    await h.terminate();
  });
});
