/**
 * `migrate status --watch` as an operator sees it: a real terminal (tmux), a live backfill on real
 * services. The bar advances, `p` pauses the backfill (the service stops receiving writes and the
 * screen says so), `p` again resumes, `q` detaches and the backfill keeps running.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { BIN, ROOT } from '../support/processes.js';
import { backfillProgress, startBackfill } from '../../src/ops/backfill.js';

const SOCKET = `tracer-${randomBytes(4).toString('hex')}`;
const SESSION = 'status';
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);

/** The orders row's percentage on the dashboard. */
function percentOnScreen(text: string): number | undefined {
  const m = /orders\s+\S+\s+[█░]+\s+(\d+)%/.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('migrate status --watch under tmux', () => {
  let stack: LiveStack;
  const token = `tmux-secret-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'tmux',
      engine: 'postgres',
      seed: (url) => seedOrdersPg(url, 40_000),
      service: { token },
      // Slow enough to watch for a while: 40k rows at 800 rows/s.
      plan: { token, rateLimit: '800/s', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 100, partitions: 2 }) },
    });
    await startBackfill(stack.session, 'orders', 'tmux-test');
  });

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
    await stack?.close();
  });

  it('given a live backfill, when watched, paused with p, resumed with p and left with q, then the screen and the service agree at every step', async () => {
    // CI must be unset: Ink draws only its last frame when it believes it runs under CI.
    const command = `cd ${ROOT} && env -u CI -u CONTINUOUS_INTEGRATION NO_COLOR=1 node ${BIN} --plan ${stack.planFile} status --watch; sleep 30`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '40', command);

    // The bar advances between two captures.
    const first = await eventually(async () => percentOnScreen(screen()), 30_000);
    const second = await eventually(async () => {
      const p = percentOnScreen(screen());
      return p !== undefined && p > first ? p : undefined;
    }, 30_000);
    expect(second).toBeGreaterThan(first);

    // p pauses: the screen says paused and the service stops receiving writes.
    tmux('send-keys', '-t', SESSION, 'p');
    await eventually(async () => /paused/.test(screen()) || undefined, 20_000);
    await eventually(async () => (await backfillProgress(stack.session, 'orders'))?.state === 'paused', 20_000);
    const settle = stack.service.requestLog.writes;
    await new Promise((r) => setTimeout(r, 2000));
    const afterSettle = stack.service.requestLog.writes;
    await new Promise((r) => setTimeout(r, 3000));
    expect(stack.service.requestLog.writes).toBe(afterSettle);
    expect(afterSettle - settle).toBeLessThanOrEqual(2); // at most the batch in flight per partition

    // p again resumes; q detaches; the backfill keeps writing without the dashboard.
    tmux('send-keys', '-t', SESSION, 'p');
    await eventually(async () => (await backfillProgress(stack.session, 'orders'))?.state === 'running', 20_000);
    tmux('send-keys', '-t', SESSION, 'q');
    await eventually(async () => /Detached/.test(screen()) || undefined, 20_000);
    const atDetach = stack.service.requestLog.writes;
    await eventually(async () => stack.service.requestLog.writes > atDetach + 5, 20_000);
    expect((await backfillProgress(stack.session, 'orders'))?.state).toBe('running');
    expect(screen()).not.toContain(token);
  });
});
