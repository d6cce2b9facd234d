/**
 * `migrate status --watch` as an operator sees it: a real terminal (tmux), a live backfill on real
 * services. The bar advances, `p` pauses the backfill (the service stops receiving writes and the
 * screen says so), `p` again resumes, `q` detaches and the backfill keeps running.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { BIN, ROOT } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
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
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;
  let planFile: string;
  const token = `tmux-secret-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    dbs = await createTestDatabases('tmux');
    await seedOrdersPg(dbs.pgUrl, 40_000);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token });
    // Slow enough to watch for a while: 40k rows at 800 rows/s.
    const plan = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, token, rateLimit: '800/s', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 100, partitions: 2 }) });
    planFile = plan.file;
    const loaded = await loadTestPlan(planFile);
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, process.env, process.cwd());
    await startBackfill(session, 'orders', 'tmux-test');
  });

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
    await session?.close();
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  it('given a live backfill, when watched, paused with p, resumed with p and left with q, then the screen and the service agree at every step', async () => {
    // CI must be unset: Ink draws only its last frame when it believes it runs under CI.
    const command = `cd ${ROOT} && env -u CI -u CONTINUOUS_INTEGRATION NO_COLOR=1 node ${BIN} --plan ${planFile} status --watch; sleep 30`;
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
    await eventually(async () => (await backfillProgress(session, 'orders'))?.state === 'paused', 20_000);
    const settle = service.requestLog.writes;
    await new Promise((r) => setTimeout(r, 2000));
    const afterSettle = service.requestLog.writes;
    await new Promise((r) => setTimeout(r, 3000));
    expect(service.requestLog.writes).toBe(afterSettle);
    expect(afterSettle - settle).toBeLessThanOrEqual(2); // at most the batch in flight per partition

    // p again resumes; q detaches; the backfill keeps writing without the dashboard.
    tmux('send-keys', '-t', SESSION, 'p');
    await eventually(async () => (await backfillProgress(session, 'orders'))?.state === 'running', 20_000);
    tmux('send-keys', '-t', SESSION, 'q');
    await eventually(async () => /Detached/.test(screen()) || undefined, 20_000);
    const atDetach = service.requestLog.writes;
    await eventually(async () => service.requestLog.writes > atDetach + 5, 20_000);
    expect((await backfillProgress(session, 'orders'))?.state).toBe('running');
    expect(screen()).not.toContain(token);
  });
});
