/**
 * A hand-started `migrate worker` bounds its own memory by default, like the background worker:
 * it runs itself again under `--max-old-space-size`, passes signals on, and its child never runs on
 * as an orphan. `--max-heap` and MIGRATE_WORKER_HEAP_MB override the cap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, writeTestPlan } from '../support/harness.js';
import { BIN, ROOT, runMigrate } from '../support/processes.js';
import { PG_ADMIN_URL } from '../support/env.js';
import { ORDERS_ENTITY_YAML } from '../support/seed.js';

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const started: Started[] = [];

function startWorker(args: string[] = [], env: NodeJS.ProcessEnv = {}): Started {
  // Nothing is read or written: the worker only polls an empty task queue.
  const plan = writeTestPlan({ sourceUrl: PG_ADMIN_URL, stateUrl: PG_ADMIN_URL, serviceUrl: 'http://127.0.0.1:9', entitiesYaml: ORDERS_ENTITY_YAML() });
  const child = spawn(process.execPath, [BIN, 'worker', '--plan', plan.file, ...args], { cwd: ROOT, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const s = { child, output: () => out, exited };
  started.push(s);
  return s;
}

/** The worker process that polls: the one child of the started process, from /proc. */
function childPid(pid: number): number | undefined {
  const file = `/proc/${pid}/task/${pid}/children`;
  const pids = existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
  return pids[0];
}
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const heapLimit = (out: string) => Number(/heap limit (\d+) MB/.exec(out)?.[1]);

afterEach(async () => {
  for (const s of started.splice(0)) {
    const inner = s.child.pid ? childPid(s.child.pid) : undefined;
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
    if (inner && alive(inner)) process.kill(inner, 'SIGKILL');
    await s.exited;
  }
});

describe('migrate worker memory', () => {
  it('given a worker started by hand with no flags, when it polls, then it runs as a child capped at 256 MB old space with a 16 MB semi-space and no allocation-site pretenuring (heap limit under 400 MB)', async () => {
    const w = startWorker();
    await eventually(async () => w.output().includes('polling task queue'), 90_000);
    const inner = childPid(w.child.pid!);
    expect(inner).toBeDefined();
    expect(cmdline(inner!)).toContain('--max-old-space-size=256');
    expect(cmdline(inner!)).toContain('--max-semi-space-size=16');
    expect(cmdline(inner!)).toContain('--no-allocation-site-pretenuring');
    expect(heapLimit(w.output())).toBeGreaterThan(256);
    expect(heapLimit(w.output())).toBeLessThan(400);
  });

  it('given --max-heap 512, when the worker polls, then its heap limit is at least 512 MB', async () => {
    const w = startWorker(['--max-heap', '512']);
    await eventually(async () => w.output().includes('polling task queue'), 90_000);
    expect(cmdline(childPid(w.child.pid!)!)).toContain('--max-old-space-size=512');
    expect(heapLimit(w.output())).toBeGreaterThanOrEqual(512);
  });

  it('given MIGRATE_WORKER_HEAP_MB=384, when the worker polls, then the cap is 384 MB', async () => {
    const w = startWorker([], { MIGRATE_WORKER_HEAP_MB: '384' });
    await eventually(async () => w.output().includes('polling task queue'), 90_000);
    expect(cmdline(childPid(w.child.pid!)!)).toContain('--max-old-space-size=384');
  });

  it('given a capped worker, when its started process gets SIGTERM, then the worker stops gracefully and the process exits 0', async () => {
    const w = startWorker();
    await eventually(async () => w.output().includes('polling task queue'), 90_000);
    const inner = childPid(w.child.pid!)!;
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/worker \S+ stopped/);
    expect(alive(inner)).toBe(false);
  });

  it('given a capped worker, when its started process is SIGKILLed, then the child stops by itself instead of polling as an orphan', async () => {
    const w = startWorker();
    await eventually(async () => w.output().includes('polling task queue'), 90_000);
    const inner = childPid(w.child.pid!)!;
    w.child.kill('SIGKILL');
    await w.exited;
    await eventually(async () => !alive(inner), 30_000);
  });

  it('given --max-heap that is not a size, when the worker starts, then it exits 2 naming the option', async () => {
    const r = await runMigrate(['worker', '--plan', 'plans/orders-postgres.yaml', '--max-heap', 'lots'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-heap');
    expect(r.stderr).toContain('at least 64');
  });
});
