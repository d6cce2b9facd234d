/**
 * The package as a consumer installs it: `npm pack` (which builds dist/ on prepack) leaves nothing
 * untracked in the checkout, and `npm install <tarball>` in an empty project gives a `migrate` that
 * runs compiled JavaScript without tsx or src/, the pinned @swc/core, the consumer library, and a
 * worker that bundles the workflows from dist/ and completes a real backfill.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, writeTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { ROOT } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { spawn, type ChildProcess } from 'node:child_process';

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
const untracked = () => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ROOT, encoding: 'utf8' });

describe('the packed and installed package', () => {
  const consumer = mkdtempSync(path.join(tmpdir(), 'tracer-consumer-'));
  const installed = path.join(consumer, 'node_modules', 'tracer-migrate');
  const migrateBin = path.join(consumer, 'node_modules', '.bin', 'migrate');
  let untrackedAfterPack = '';
  let untrackedBeforePack = '';

  beforeAll(() => {
    untrackedBeforePack = untracked();
    // Where a user runs it: in the checkout, tarball beside package.json.
    const tarball = npm(['pack', '--silent'], ROOT).trim().split('\n').pop()!;
    untrackedAfterPack = untracked();
    renameSync(path.join(ROOT, tarball), path.join(consumer, tarball));
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], consumer);
  }, 600_000);

  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  it('given a checkout, when npm pack writes its tarball, then git sees no new untracked file', () => {
    expect(untrackedAfterPack).toBe(untrackedBeforePack);
  });

  it('given the installed package, then it holds compiled dist/ and no TypeScript sources', () => {
    expect(existsSync(path.join(installed, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'dist/workflows/index.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'src'))).toBe(false);
    expect(existsSync(path.join(consumer, 'node_modules', 'tsx'))).toBe(false);
  });

  it('given a consumer install, then @swc/core is the version the project pins (an override would not reach it)', () => {
    const pinned = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@swc/core'];
    const got = (JSON.parse(readFileSync(path.join(consumer, 'node_modules/@swc/core/package.json'), 'utf8')) as { version: string }).version;
    expect(got).toBe(pinned);
  });

  it('given the installed migrate, when --help and --version run, then they answer from dist/', () => {
    const help = spawnSync(migrateBin, ['--help'], { cwd: consumer, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: migrate');
    const version = spawnSync(migrateBin, ['--version'], { cwd: consumer, encoding: 'utf8' });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('given the installed package, when an application imports tracer-migrate/consumer, then it gets the library', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('tracer-migrate/consumer'); process.stdout.write(typeof m.createConsumer);"], { cwd: consumer, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('function');
  });

  it('given the installed package, when a TypeScript app uses tracer-migrate/consumer, then its types check a right call and refuse a wrong one', () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: true, noEmit: true } }),
    );
    writeFileSync(
      path.join(consumer, 'app.ts'),
      `import { createConsumer, WriteFencedError, type Consumer, type ConsumerReport, type ReadRoute } from 'tracer-migrate/consumer';
const c: Consumer = createConsumer({ name: 'billing', entity: 'orders', routing: 'orders.routing.json', report: { send: async (r: ConsumerReport) => void r.seq } });
const total: Promise<number> = c.read(1, { legacy: async () => 1, next: async (signal: AbortSignal) => (signal.aborted ? 0 : 2) });
const route: ReadRoute = c.readRoute([7, 'EU']);
export { total, route, WriteFencedError };
`,
    );
    const ok = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: consumer, encoding: 'utf8' });
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // Types are real, not `any`: a wrong option type is an error naming the option.
    writeFileSync(path.join(consumer, 'app.ts'), `import { createConsumer } from 'tracer-migrate/consumer';\ncreateConsumer({ name: 42, entity: 'orders', routing: 'x', report: { url: 'http://x' } });\n`);
    const bad = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: consumer, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/app\.ts.*error TS2322.*number.*string/s);
    rmSync(path.join(consumer, 'app.ts'));
  });

  it('given the installed package, when an app routes a key with it, then the compiled library and its dependencies run', () => {
    writeFileSync(
      path.join(consumer, 'orders.routing.json'),
      JSON.stringify({
        $schema: 'https://flagd.dev/schema/v0/flags.json',
        metadata: { tracerPlan: 'p', tracerEntity: 'orders', tracerEpoch: 2 },
        flags: {
          'orders.reads': { state: 'ENABLED', variants: { legacy: 'legacy', shadow: 'shadow', new: 'new' }, defaultVariant: 'shadow' },
          'orders.writes': { state: 'ENABLED', variants: { legacy: 'legacy', dual: 'dual', new: 'new', fenced: 'fenced' }, defaultVariant: 'dual' },
        },
      }),
    );
    const script = `import { createConsumer } from 'tracer-migrate/consumer';
const c = createConsumer({ name: 'billing', entity: 'orders', routing: 'orders.routing.json', report: { send: async () => {} }, failures: { path: '.tracer/f.jsonl' } });
await c.ready();
process.stdout.write([c.epoch(), c.readRoute(1), c.writeRoute()].join(' '));
await c.close();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2 shadow dual');
  });

  describe('its worker', () => {
    const token = `svc-${randomBytes(8).toString('hex')}`;
    const env = { ...process.env, TEST_SERVICE_TOKEN: token, MIGRATE_HOME: path.join(consumer, '.migrate') };
    let dbs: TestDatabases;
    let service: FulfillmentService;
    let session: Session;
    let worker: ChildProcess | undefined;

    beforeAll(async () => {
      dbs = await createTestDatabases('pkginst');
      await seedOrdersPg(dbs.pgUrl, 300);
      service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token });
    });
    afterAll(async () => {
      if (worker && worker.exitCode === null) {
        const gone = new Promise((r) => worker!.once('exit', r));
        worker.kill('SIGTERM');
        await gone;
      }
      await session?.close();
      await service?.close();
      await dbs?.drop();
    });

    it('given the installed migrate worker, when a backfill starts, then it bundles the workflows from dist/ and copies every row', async () => {
      const plan = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ORDERS_ENTITY_YAML({ batch: 50, partitions: 2 }) });
      worker = spawn(migrateBin, ['worker', '--plan', plan.file, '--identity', 'installed-worker'], { cwd: consumer, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      worker.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      worker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await eventually(async () => out.includes('polling task queue') || worker!.exitCode !== null, 120_000);
      expect(out).toContain('polling task queue');
      session = await openSession(await loadTestPlan(plan.file, env), env, process.cwd());
      const { handle } = await startBackfill(session, 'orders', 'test');
      await handle.result();
      expect(await service.count('orders')).toBe(300);
      expect(out).not.toMatch(/error/i);
    });
  });
});
