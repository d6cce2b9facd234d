/**
 * `migrate cutover --entity orders` as an operator sees it on a terminal (tmux), on real services:
 * the stage, epoch and gate evidence are on screen, an inconclusive gate says what is missing and
 * how to resume, and an approval typed on the command line advances the cutover to complete; an
 * approval given from another command (another terminal) moves a followed cutover to its next stage.
 * Consumers are simulated by their reports in the state store (the rows `migrate consumer ingest` writes).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { BIN, ROOT, runMigrate } from '../support/processes.js';
import { consumerReporter } from '../support/consumerReports.js';

const SOCKET = `tracer-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

/** A tmux pane running bash: `run` types a `migrate` command into it, `screen` is what it shows. */
function terminal(session: string, planFile: () => string) {
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', 'bash', '--norc', '--noprofile');
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', session);
  return {
    screen,
    onScreen: (text: string) => eventually(async () => screen().includes(text) || undefined, 60_000, 300),
    run(args: string) {
      tmux('send-keys', '-t', session, 'clear', 'Enter');
      tmux('send-keys', '-t', session, `cd ${ROOT} && env -u CI MIGRATE_ACTOR=tmux-operator NO_COLOR=1 node ${BIN} --plan ${planFile()} ${args}; echo "== exit $?"`, 'Enter');
    },
  };
}

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
});

/**
 * A live stack (label `label`) whose orders entity (10 rows, no verify phase) is cut over for billing and reporting
 * in two stages, `shadow` with `shadowGate` then `reads` waiting for approval, followed in tmux session `session`.
 */
function cutoverOnTerminal(label: string, shadowGate: string, session: string) {
  const yaml = `${ORDERS_ENTITY_YAML({ batch: 100, partitions: 1 }).replace(/ {6}- verify:.*\n/, '')}      - cutover:
          consumers: [billing, reporting]
          stages:
            - { name: shadow, reads: shadow, gate: ${shadowGate} }
            - { name: reads, reads: new, gate: { approval: true } }
`;
  const live = {} as { stack: LiveStack; report: ReturnType<typeof consumerReporter>; term: ReturnType<typeof terminal> };
  beforeAll(async () => {
    live.stack = await startLiveStack({ label, engine: 'postgres', seed: (url) => seedOrdersPg(url, 10), plan: { entitiesYaml: yaml } });
    live.report = consumerReporter(live.stack);
    live.term = terminal(session, () => live.stack.planFile);
  });
  afterAll(async () => {
    await live.stack?.close();
  });
  return live;
}

describe('migrate cutover under tmux', () => {
  const live = cutoverOnTerminal('cuttmux', '{ maxMismatchRate: 0.1, minSamples: 50 }', 'cutover');
  const report = (consumer: string, epoch: number, match: number) => live.report(consumer, epoch, match);

  it('given a cutover followed on a terminal, when evidence arrives and the operator resumes and approves on the command line, then the screen shows stage, epoch, evidence and what is missing at each step, and the approval completes it', async () => {
    live.term.run('cutover --entity orders');
    await live.term.onScreen('orders: cutover stage shadow (1/2) · epoch 1 · acks');
    await live.term.onScreen('waiting for: no acknowledgement of epoch 1 from billing');

    // Too few comparisons: 20 clean ones where the Wilson bound at a 10 % limit needs 35.
    await report('billing', 1, 20);
    await report('reporting', 1, 20);
    await live.term.onScreen('== exit 0');
    const paused = live.term.screen();
    expect(paused).toContain('orders: cutover stage shadow (1/2) · epoch 1 · paused (gate)');
    expect(paused).toContain('routing: reads billing shadow, reporting shadow; writes legacy');
    expect(paused).toContain('gate inconclusive (evidence at epoch 1):');
    expect(paused).toMatch(/inconclusive\s+mismatch billing: 0 of 20 compared differ \(0\.00%, upper bound 16\.11% at z 1\.96; limit 10\.00%\)/);
    expect(paused).toContain('waiting for: gate of stage shadow is inconclusive: 30 more samples from billing; 30 more samples from reporting');
    expect(paused).toContain('next: migrate cutover --entity orders --resume');

    await report('billing', 1, 40);
    await report('reporting', 1, 40);
    live.term.run('cutover --entity orders --resume');
    await live.term.onScreen('orders: cutover resume accepted (audited as tmux-operator)');
    live.term.run('cutover --entity orders');
    await live.term.onScreen('waiting for: no acknowledgement of epoch 2 from billing');
    expect(live.term.screen()).toContain('orders: cutover stage reads (2/2) · epoch 2 · acks');
    await report('billing', 2, 0);
    await report('reporting', 2, 0);
    await live.term.onScreen('next: migrate cutover --entity orders --approve --stage reads --epoch 2');
    await live.term.onScreen('== exit 0');

    live.term.run('cutover --entity orders --approve --stage reads --epoch 2 --reason looks-good');
    await live.term.onScreen('orders: approved (audited as tmux-operator)');
    // Following again ends at once the cutover is complete.
    live.term.run('cutover --entity orders');
    await live.term.onScreen('orders: cutover stage reads (2/2) · epoch 2 · complete');
    expect(live.term.screen()).toContain('routing: reads billing new, reporting new; writes legacy');
  });
});

describe('migrate cutover under tmux, approved from another command', () => {
  const live = cutoverOnTerminal('cuttmux2', '{ maxMismatchRate: 0.1, minSamples: 30, approval: true }', 'approve');
  const report = (consumer: string, epoch: number, match: number) => live.report(consumer, epoch, match);

  it('given a followed cutover whose first stage passes its gate and waits for approval, when `--approve --reason` runs from another command, then the terminal shows the evidence and the approval it waits for, and following again shows the next stage at the next epoch', async () => {
    live.term.run('cutover --entity orders');
    await live.term.onScreen('orders: cutover stage shadow (1/2) · epoch 1 · acks');
    await live.term.onScreen('waiting for: no acknowledgement of epoch 1 from billing');

    // 40 clean comparisons each: the Wilson upper bound of 0/40 at z 1.96 is 3.8416 / 43.8416 = 8.76 % ≤ 10 %.
    await report('billing', 1, 40);
    await report('reporting', 1, 40);
    await live.term.onScreen('== exit 0');
    const waiting = live.term.screen();
    expect(waiting).toContain('orders: cutover stage shadow (1/2) · epoch 1 · approval');
    expect(waiting).toContain('routing: reads billing shadow, reporting shadow; writes legacy');
    expect(waiting).toContain('gate pass (evidence at epoch 1):');
    expect(waiting).toMatch(/pass\s+mismatch billing: 0 of 40 compared differ \(0\.00%, upper bound 8\.76% at z 1\.96; limit 10\.00%\)/);
    expect(waiting).toMatch(/pass\s+mismatch reporting: 0 of 40 compared differ \(0\.00%, upper bound 8\.76% at z 1\.96; limit 10\.00%\)/);
    expect(waiting).toContain('waiting for: approval of stage shadow at epoch 1');
    expect(waiting).toContain('next: migrate cutover --entity orders --approve --stage shadow --epoch 1');

    // Another terminal: the approval names neither stage nor epoch, so it approves the one waiting.
    const approved = await runMigrate(['--plan', live.stack.planFile, 'cutover', '--entity', 'orders', '--approve', '--reason', 'shadow clean for a day'], { MIGRATE_ACTOR: 'other-terminal' });
    expect(approved.code).toBe(0);
    expect(approved.stderr).toContain('orders: approved (audited as other-terminal)');

    live.term.run('cutover --entity orders');
    await live.term.onScreen('orders: cutover stage reads (2/2) · epoch 2 · acks');
    await live.term.onScreen('waiting for: no acknowledgement of epoch 2 from billing');
    expect(live.term.screen()).toContain('routing: reads billing new, reporting new; writes legacy');
  });
});
