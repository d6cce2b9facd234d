/**
 * The local default: one Temporal dev server per project folder, its state in `.migrate/temporal.db`
 * so work survives restarts, started detached so closing the terminal never stops a migration.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTemporalCli, freePort, startDevServer, waitForPort } from './devServer.js';

export interface LocalServer {
  address: string;
  uiUrl: string;
  /** True when this call started it (callers say so); false when it was already running. */
  started: boolean;
  dbFile: string;
  logFile: string;
}

/** The folder of Tracer's local state (`MIGRATE_HOME`, default `.migrate` in the working directory). */
export function migrateHome(env: NodeJS.ProcessEnv, cwd: string): string {
  return env.MIGRATE_HOME ?? join(cwd, '.migrate');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function portFree(port: number): Promise<boolean> {
  try {
    await waitForPort('127.0.0.1', port, 0);
    return false;
  } catch {
    return true;
  }
}

/** Where the local server's pid/ports (temporal.json), database and log live. */
export function localServerPaths(env: NodeJS.ProcessEnv, cwd: string) {
  const home = migrateHome(env, cwd);
  return { home, stateFile: join(home, 'temporal.json'), dbFile: join(home, 'temporal.db'), logFile: join(home, 'temporal.log') };
}

/** The local server this folder started earlier, if it is still running. */
/** Where the local dev server keeps its state: when it exists, workflows may exist although no server runs. */
export function localDbFile(env: NodeJS.ProcessEnv, cwd: string): string {
  return localServerPaths(env, cwd).dbFile;
}

export async function runningLocalServer(env: NodeJS.ProcessEnv, cwd: string): Promise<LocalServer | undefined> {
  const { stateFile, dbFile, logFile } = localServerPaths(env, cwd);
  if (!existsSync(stateFile)) return undefined;
  const s = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; port: number; uiPort: number };
  if (!alive(s.pid) || (await portFree(s.port))) return undefined;
  return { address: `127.0.0.1:${s.port}`, uiUrl: `http://127.0.0.1:${s.uiPort}`, started: false, dbFile, logFile };
}

/** Reuses the running local server, or starts one (port 7233 when free). */
export async function ensureLocalServer(env: NodeJS.ProcessEnv, cwd: string): Promise<LocalServer> {
  const running = await runningLocalServer(env, cwd);
  if (running) return running;
  const { home, stateFile, dbFile, logFile } = localServerPaths(env, cwd);
  mkdirSync(home, { recursive: true });
  const cli = findTemporalCli(env, cwd);
  const port = (await portFree(7233)) ? 7233 : await freePort();
  const uiPort = (await portFree(port + 1000)) ? port + 1000 : await freePort();
  const server = await startDevServer({ cliPath: cli, port, uiPort, dbFile, logFile, detached: true });
  writeFileSync(stateFile, JSON.stringify({ pid: server.process.pid, port, uiPort }));
  return { address: server.address, uiUrl: `http://127.0.0.1:${uiPort}`, started: true, dbFile, logFile };
}
