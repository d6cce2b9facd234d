/**
 * `migrate local stop` stops what migrate started for a folder — the local Temporal dev server and
 * the background worker — by the pid files it wrote, and nothing else: a pid file whose pid now
 * belongs to another program leaves that program running.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { runMigrate } from '../support/processes.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const localEnv = (home: string): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, MIGRATE_HOME: home };
  delete e.TEMPORAL_ADDRESS;
  delete e.TEMPORAL_NAMESPACE;
  return e;
};

describe('migrate local stop', () => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  const leftovers: number[] = [];

  beforeAll(async () => {
    dbs = await createTestDatabases('lstop');
    await seedOrdersPg(dbs.pgUrl, 500);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0 });
  });

  afterAll(async () => {
    for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await service?.close();
    await dbs?.drop();
  });

  it('given a dev server and a background worker that migrate started, when local stop runs, then both stop, their pid files go, and a second run finds nothing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tracer-home-'));
    const planFile = join(home, 'plan.yaml');
    writeFileSync(planFile, `version: 1\nname: local-stop\nstate: { url: "${dbs.pgUrl}" }\nsources: { legacy: { url: "${dbs.pgUrl}" } }\ntargets: { fulfillment: { baseUrl: "${service.url}" } }\nentities:\n${ORDERS_ENTITY_YAML({ batch: 100, partitions: 2 })}`);
    const started = await runMigrate(['--plan', planFile, 'backfill', '--entity', 'orders'], localEnv(home));
    expect(started.code).toBe(0);
    const serverPid = (JSON.parse(readFileSync(join(home, 'temporal.json'), 'utf8')) as { pid: number }).pid;
    const workerPid = Number(readFileSync(join(home, 'worker-local-stop.pid'), 'utf8'));
    leftovers.push(serverPid, workerPid);
    expect(alive(serverPid) && alive(workerPid)).toBe(true);

    const stop = await runMigrate(['local', 'stop'], localEnv(home));
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`background worker (local-stop) (pid ${workerPid}): stopped`);
    expect(stop.stdout).toContain(`Temporal dev server (pid ${serverPid}): stopped`);
    expect(alive(workerPid)).toBe(false);
    expect(alive(serverPid)).toBe(false);
    expect(existsSync(join(home, 'worker-local-stop.pid'))).toBe(false);
    expect(existsSync(join(home, 'temporal.json'))).toBe(false);
    expect(existsSync(join(home, 'temporal.db'))).toBe(true);

    const again = await runMigrate(['local', 'stop'], localEnv(home));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to stop');
  });

  it('given a stale pid file whose pid now belongs to another program, when local stop runs, then that program keeps running', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tracer-home-'));
    mkdirSync(home, { recursive: true });
    const other = spawn('sleep', ['120'], { stdio: 'ignore' });
    leftovers.push(other.pid!);
    await eventually(async () => alive(other.pid!), 5_000);
    writeFileSync(join(home, 'worker-someplan.pid'), String(other.pid));
    writeFileSync(join(home, 'temporal.json'), JSON.stringify({ pid: other.pid, port: 1, uiPort: 2 }));

    const stop = await runMigrate(['local', 'stop', '--json'], localEnv(home));
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toEqual([
      { what: 'background worker (someplan)', pid: other.pid, outcome: 'other' },
      { what: 'Temporal dev server', pid: other.pid, outcome: 'other' },
    ]);
    expect(alive(other.pid!)).toBe(true);
  });
});
