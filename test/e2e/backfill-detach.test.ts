/**
 * `migrate backfill` attached from a process: Ctrl-C (SIGINT) detaches, says how to re-attach, and
 * the backfill keeps running; attaching again follows it to the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { BIN, ROOT, runMigrate } from '../support/processes.js';
import { backfillProgress } from '../../src/ops/backfill.js';

describe('migrate backfill, attached', () => {
  const token = `detach-secret-${randomBytes(6).toString('hex')}`;
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'detach',
      engine: 'postgres',
      seed: (url) => seedOrdersPg(url, 20_000),
      service: { token },
      // The token reaches the plan only through the environment, as in production.
      plan: { token: 'from-env', rateLimit: '2000/s', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 100, partitions: 2 }) },
      env: { ...process.env, TEST_SERVICE_TOKEN: token },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('given an attached backfill, when Ctrl-C is pressed, then the command detaches with exit 0 and the backfill keeps running to completion', async () => {
    const env = { ...process.env, TEST_SERVICE_TOKEN: token, NO_COLOR: '1' };
    const child = spawn(process.execPath, [BIN, '--plan', stack.planFile, 'backfill', '--entity', 'orders', '--progress', 'plain'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

    await eventually(async () => /orders backfill running/.test(out), 60_000);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Detached; the backfill keeps running. Re-attach with `migrate backfill --entity orders`');

    const writesAtDetach = stack.service.requestLog.writes;
    await eventually(async () => stack.service.requestLog.writes > writesAtDetach, 30_000);
    expect((await backfillProgress(stack.session, 'orders'))?.state).toBe('running');

    // Attaching again follows it to the end.
    const again = await runMigrate(['--plan', stack.planFile, 'backfill', '--entity', 'orders', '--progress', 'plain'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('orders: backfill completed: 20000 rows, no failures');
    expect(again.stderr).toContain('backfill attached');
    expect(out + again.stdout + again.stderr).not.toContain(token);
  });
});
