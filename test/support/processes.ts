/**
 * Real `migrate` subprocesses for end-to-end tests: long-lived workers that tests SIGKILL, and
 * one-shot commands. Every child gets the test's secret in its environment and every byte it
 * prints is kept, so tests can assert the secret never leaks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_WORKER_HEAP_MB, workerNodeFlags } from '../../src/ops/workerHeap.js';

export const BIN = path.resolve(import.meta.dirname, '../../bin/migrate.js');
/** The repo root: workers share the harness's workflow bundle cache under `.migrate/cache`. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  identity: string;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the worker says it polls the task queue. */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `migrate worker --plan <file>`; resolves `ready` when it polls, rejects if it exits first. */
export function startWorkerProcess(planFile: string, env: NodeJS.ProcessEnv, identity: string, extraArgs: string[] = []): WorkerProcess {
  // Under the default heap cap as a node flag, as the background worker starts: one process, so
  // that SIGKILL of this pid is a crash of the worker itself (not of a parent that re-spawned it).
  const child = spawn(process.execPath, [...workerNodeFlags(DEFAULT_WORKER_HEAP_MB), BIN, 'worker', '--plan', planFile, '--identity', identity, ...extraArgs], {
    cwd: ROOT,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('polling task queue')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`worker ${identity} exited (${code ?? signal}) before polling:\n${out}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    identity,
    output: () => out,
    ready,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, signal);
      await exited;
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `migrate` command to completion. */
export function runMigrate(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<RunResult> {
  return runNode([BIN, ...args], env, cwd);
}

/** Runs `node <args>` to completion (e.g. `['--import', 'tsx', 'bench/history/cli.ts', …]`). */
export function runNode(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ReadyProcess {
  child: ChildProcess;
  /** The match of `ready` in the output. */
  match: RegExpMatchArray;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
}

/** Spawns `node <args>` in the repo root and resolves once a line of its output matches `ready`; rejects if it exits first. */
export async function startReadyProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<ReadyProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve(m);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready:\n${out}`)));
  });
  return { child, match, output: () => out };
}

/** SIGTERM (by PID) and wait for the exit; nothing when it already exited. */
export async function stopProcess(p: { child: ChildProcess } | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGTERM');
  await exited;
}

/** A running `migrate flags serve` and what it printed so far. */
export interface FlagsServeProcess {
  child: ChildProcess;
  /** `http://host:port` it serves at. */
  base: string;
  stderr(): string;
}

/** Starts `migrate --plan <planFile> flags serve --port 0` and resolves once it says where it serves. */
export async function startFlagsServe(planFile: string, env: NodeJS.ProcessEnv, cwd: string): Promise<FlagsServeProcess> {
  const child = spawn(process.execPath, [BIN, '--plan', planFile, 'flags', 'serve', '--port', '0'], { cwd, env });
  let stderr = '';
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /at (http:\/\/[^/\s]+)\/routing\/<entity>/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`flags serve exited ${code}: ${stderr}`)));
  });
  return { child, base, stderr: () => stderr };
}

/**
 * Every ES module URL a `migrate` run loads (a package loaded through `import` shows as its entry
 * file), through a module hook registered before anything else.
 */
export function modulesLoadedBy(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; modules: string[]; stderr: string } {
  const hook = `data:text/javascript,${encodeURIComponent(
    `import { register } from 'node:module';
     register('data:text/javascript,' + encodeURIComponent('export async function load(u, c, next) { process.stderr.write("LOADED " + u + "\\\\n"); return next(u, c); }'));`,
  )}`;
  const r = spawnSync(process.execPath, ['--import', hook, BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' } });
  const modules = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
  return { code: r.status, modules, stderr: r.stderr };
}
