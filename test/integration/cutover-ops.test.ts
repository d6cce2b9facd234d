/**
 * The cutover on real services: PostgreSQL (legacy and state store), the reference service, a real
 * worker running the real activities and workflow, driven through the operations behind
 * `migrate cutover`. Consumers are simulated by their reports written into the state store (the
 * same rows `migrate consumer ingest` writes); the e2e with consumer processes is separate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { consumerReporter } from '../support/consumerReports.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { startVerify, verifyOutcome } from '../../src/ops/verifyRuns.js';
import { approveCutover, cutoverProgress, planCutover, resumeCutover, startCutover } from '../../src/ops/cutover.js';
import { collectStatus } from '../../src/ops/status.js';
import { statusSources } from '../../src/ops/statusSources.js';
import { UserError } from '../../src/errors.js';
import type { CutoverProgress } from '../../src/workflows/cutoverWorkflow.js';

const TOKEN = 'svc-token-cutover';
const ENTITY_YAML = `${ORDERS_ENTITY_YAML({ batch: 100, partitions: 2 })}      - cutover:
          consumers: [billing, reporting]
          stages:
            - { name: shadow, reads: shadow, gate: { maxMismatchRate: 0.05, minSamples: 50 } }
            - { name: reads, reads: new, gate: { approval: true } }
`;

let stack: LiveStack;
let report: ReturnType<typeof consumerReporter>;

beforeAll(async () => {
  stack = await startLiveStack({
    label: 'cutover',
    engine: 'postgres',
    seed: (url) => seedOrdersPg(url, 200),
    service: { token: TOKEN, trackKeys: false },
    plan: { token: TOKEN, entitiesYaml: ENTITY_YAML },
  });
  report = consumerReporter(stack);
});

afterAll(async () => {
  await stack?.close();
});

const until = (test: (p: CutoverProgress) => boolean) =>
  eventually(async () => {
    const p = await cutoverProgress(stack.session, 'orders');
    return p !== undefined && test(p) && p;
  }, 60_000);

describe('cutover operations on real services', () => {
  it('Given a backfilled entity, when the cutover runs without a verification, then the gate pauses asking for one; after a clean verification and a resume it reaches the approval, refuses a stale one, and completes on the right one — all audited', async () => {
    const { session } = stack;
    await (await startBackfill(session, 'orders', 'test')).handle.result();

    const dry = await planCutover(session, 'orders');
    expect(dry.steps.map((s) => `${s.stage} ${s.step}`)).toEqual(['shadow publish', 'shadow acks', 'shadow bake', 'shadow gate', 'reads publish', 'reads acks', 'reads bake', 'reads gate', 'reads approval']);
    expect(dry.steps[0]!.detail).toBe('publish epoch 1: reads billing shadow, reporting shadow; writes legacy');
    expect(dry.steps[3]!.now).toContain('verification: inconclusive, no verification has run — a verification of orders: run `migrate verify --entity orders`');

    const started = await startCutover(session, 'orders', 'alice', { pollMs: 300 });
    expect(started.how).toBe('started');
    const waiting = await until((p) => p.step === 'acks' && p.waitingFor.length === 2);
    expect(waiting.waitingFor).toEqual(['no acknowledgement of epoch 1 from billing', 'no acknowledgement of epoch 1 from reporting']);

    // 100 clean comparisons each: the Wilson bound at a 5 % limit needs 73 (3.8416 · 0.95 / 0.05 = 72.99).
    await report('billing', 1, 100);
    await report('reporting', 1, 100);
    const paused = await until((p) => p.step === 'paused');
    expect(paused.paused?.reason).toBe('gate of stage shadow is inconclusive: a verification of orders: run `migrate verify --entity orders`');
    expect(paused.next).toBe('migrate cutover --entity orders --resume');

    const status = await collectStatus(session, statusSources());
    const orders = status.entities.find((e) => e.entity === 'orders')!;
    expect(orders.cutover).toMatchObject({ step: 'paused', stage: 'shadow', stageNumber: 1, stages: 2, epoch: 1, reads: { billing: 'shadow', reporting: 'shadow' }, writes: 'legacy', gate: { verdict: 'inconclusive' } });
    expect(orders.next).toBe('migrate cutover --entity orders --resume');

    const { handle } = await startVerify(session, 'orders', 'test');
    expect((await verifyOutcome(session, handle)).report.report.passed).toBe(true);
    // The answer of --resume shows the cutover moving on, not the pause it left.
    const resumed = await resumeCutover(session, 'orders', 'alice');
    expect(resumed.step).not.toBe('paused');
    expect(resumed.next).not.toBe('migrate cutover --entity orders --resume');
    await until((p) => p.step === 'acks' && p.epoch === 2);
    await report('billing', 2, 0);
    await report('reporting', 2, 0);
    const approval = await until((p) => p.step === 'approval');
    expect(approval.next).toBe('migrate cutover --entity orders --approve --stage reads --epoch 2');

    const stale = await approveCutover(session, 'orders', { stage: 'reads', epoch: 1, actor: 'bob' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(stale).toBeInstanceOf(UserError);
    expect((stale as UserError).message).toBe('refused: stale approval: it names stage reads at epoch 1, the cutover waits for stage reads at epoch 2');

    // The answer of --approve shows the approval taken, never the approve command it just ran.
    const approved = await approveCutover(session, 'orders', { actor: 'bob', reason: 'dashboards fine' });
    expect(approved.step).not.toBe('approval');
    expect(approved.next).not.toBe('migrate cutover --entity orders --approve --stage reads --epoch 2');
    const done = await until((p) => p.step === 'complete');
    expect(done).toMatchObject({ stage: 'reads', epoch: 2, reads: { billing: 'new', reporting: 'new' }, writes: 'legacy' });

    const audit = await (await session.resources.stateStore()).listAudit({ plan: session.loaded.plan.name, entity: 'orders', limit: 50 });
    const cut = audit.filter((a) => a.action.startsWith('cutover.') || a.action === 'routing.publish').reverse();
    expect(cut.map((a) => [a.action, a.actor, a.reason ?? null])).toEqual([
      ['cutover.start', 'alice', null],
      ['routing.publish', 'alice', 'stage shadow published'],
      ['cutover.resume', 'alice', null],
      ['routing.publish', 'alice', 'stage reads published'],
      ['cutover.approve', 'bob', 'dashboards fine'],
    ]);
    const after = (await collectStatus(session, statusSources())).entities.find((e) => e.entity === 'orders')!;
    expect(after.phase).toBe('cut-over');
  });
});
