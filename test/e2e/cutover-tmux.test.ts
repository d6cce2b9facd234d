/**
 * `migrate cutover --entity orders` as an operator sees it on a terminal (tmux), on real services:
 * the stage, epoch and gate evidence are on screen, an inconclusive gate says what is missing and
 * how to resume, and an approval typed on the command line advances the cutover to complete.
 * Consumers are simulated by their reports in the state store (the rows `migrate consumer ingest` writes).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { BIN, ROOT } from '../support/processes.js';

const SOCKET = `tracer-${randomBytes(4).toString('hex')}`;
const SESSION = 'cutover';
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', SESSION);
const onScreen = (text: string) => eventually(async () => screen().includes(text) || undefined, 60_000, 300);

const ENTITY_YAML = `${ORDERS_ENTITY_YAML({ batch: 100, partitions: 1 }).replace(/ {6}- verify:.*\n/, '')}      - cutover:
          consumers: [billing, reporting]
          stages:
            - { name: shadow, reads: shadow, gate: { maxMismatchRate: 0.1, minSamples: 50 } }
            - { name: reads, reads: new, gate: { approval: true } }
`;

describe('migrate cutover under tmux', () => {
  let stack: LiveStack;
  let seq = 0;

  /** A report of `consumer` acknowledging `epoch` with `match` more shadow matches at it. */
  async function report(consumer: string, epoch: number, match: number): Promise<void> {
    const store = await stack.session.resources.stateStore();
    const zero = { count: 0, sumMs: 0, maxMs: 0, buckets: new Array(14).fill(0) };
    await store.saveConsumerReport(stack.session.loaded.plan.name, 'orders', {
      consumer,
      instance: `${consumer}-1`,
      seq: seq++,
      ack: { epoch, inFlightWrites: 0, failureLogDepth: 0, routingStale: false },
      epochs: [
        {
          epoch,
          reads: { legacy: 0, shadow: match, new: 0 },
          shadow: { match, mismatch: 0, missing: 0, extra: 0, candidateError: 0, timeout: 0, resolvedOnRecheck: 0 },
          mismatchFields: {},
          writes: { legacy: 0, dual: 0, new: 0, fencedHeld: 0, fencedRejected: 0, secondWriteFailed: 0, replayed: 0, exhausted: 0 },
          latencyMs: { legacy: zero, next: zero },
          samples: [],
        },
      ],
    });
  }

  beforeAll(async () => {
    stack = await startLiveStack({ label: 'cuttmux', engine: 'postgres', seed: (url) => seedOrdersPg(url, 10), plan: { entitiesYaml: ENTITY_YAML } });
    tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', 'bash', '--norc', '--noprofile');
  });

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
    await stack?.close();
  });

  const run = (args: string) => {
    tmux('send-keys', '-t', SESSION, 'clear', 'Enter');
    tmux('send-keys', '-t', SESSION, `cd ${ROOT} && env -u CI MIGRATE_ACTOR=tmux-operator NO_COLOR=1 node ${BIN} --plan ${stack.planFile} ${args}; echo "== exit $?"`, 'Enter');
  };

  it('given a cutover followed on a terminal, when evidence arrives and the operator resumes and approves on the command line, then the screen shows stage, epoch, evidence and what is missing at each step, and the approval completes it', async () => {
    run('cutover --entity orders');
    await onScreen('orders: cutover stage shadow (1/2) · epoch 1 · acks');
    await onScreen('waiting for: no acknowledgement of epoch 1 from billing');

    // Too few comparisons: 20 clean ones where the Wilson bound at a 10 % limit needs 35.
    await report('billing', 1, 20);
    await report('reporting', 1, 20);
    await onScreen('== exit 0');
    const paused = screen();
    expect(paused).toContain('orders: cutover stage shadow (1/2) · epoch 1 · paused (gate)');
    expect(paused).toContain('routing: reads billing shadow, reporting shadow; writes legacy');
    expect(paused).toContain('gate inconclusive (evidence at epoch 1):');
    expect(paused).toMatch(/inconclusive\s+mismatch billing: 0 of 20 compared differ \(0\.00%, upper bound 16\.11% at z 1\.96; limit 10\.00%\)/);
    expect(paused).toContain('waiting for: gate of stage shadow is inconclusive: 30 more samples from billing; 30 more samples from reporting');
    expect(paused).toContain('next: migrate cutover --entity orders --resume');

    await report('billing', 1, 40);
    await report('reporting', 1, 40);
    run('cutover --entity orders --resume');
    await onScreen('orders: cutover resume accepted (audited as tmux-operator)');
    run('cutover --entity orders');
    await onScreen('waiting for: no acknowledgement of epoch 2 from billing');
    expect(screen()).toContain('orders: cutover stage reads (2/2) · epoch 2 · acks');
    await report('billing', 2, 0);
    await report('reporting', 2, 0);
    await onScreen('next: migrate cutover --entity orders --approve --stage reads --epoch 2');
    await onScreen('== exit 0');

    run('cutover --entity orders --approve --stage reads --epoch 2 --reason looks-good');
    await onScreen('orders: approved (audited as tmux-operator)');
    // Following again ends at once the cutover is complete.
    run('cutover --entity orders');
    await onScreen('orders: cutover stage reads (2/2) · epoch 2 · complete');
    expect(screen()).toContain('routing: reads billing new, reporting new; writes legacy');
  });
});
