/**
 * `migrate local stop`: stops what migrate started on this machine for this folder — the background
 * workers and the local Temporal dev server — by the pid files it wrote when it started them
 * (`.migrate/worker-<plan>.pid`, `.migrate/temporal.json`), never by process name. A pid is
 * signalled only while its command line is still the one migrate started (on Linux, from /proc), so
 * a stale file whose pid the system has given to another process stops nothing. Workflows and the
 * dev server's database stay: the next `migrate backfill`/`verify` starts both again and work resumes.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { localServerPaths, migrateHome } from '../temporal/local.js';

export interface StoppedProcess {
  what: string;
  pid: number;
  /** stopped: ended on SIGTERM; killed: needed SIGKILL; gone: was not running (file removed); other: the pid now belongs to another program, left alone. */
  outcome: 'stopped' | 'killed' | 'gone' | 'other';
}

const GRACE_MS = 15_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process's arguments, or undefined where /proc is not there to ask. */
function commandLine(pid: number): string[] | undefined {
  const file = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return undefined;
  try {
    return readFileSync(file, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

async function stopPid(what: string, pid: number, looksRight: (args: string[]) => boolean): Promise<StoppedProcess> {
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return { what, pid, outcome: 'gone' };
  const args = commandLine(pid);
  if (args !== undefined && !looksRight(args)) return { what, pid, outcome: 'other' };
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline) {
    if (!alive(pid)) return { what, pid, outcome: 'stopped' };
    await new Promise((r) => setTimeout(r, 100));
  }
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return { what, pid, outcome: 'killed' };
}

/** Stops the background workers first (they drain their chunks), then the dev server; removes the pid files. */
export async function stopLocal(env: NodeJS.ProcessEnv, cwd: string): Promise<StoppedProcess[]> {
  const home = migrateHome(env, cwd);
  if (!existsSync(home)) return [];
  const out: StoppedProcess[] = [];
  const workerFiles = readdirSync(home).filter((f) => /^worker-.+\.pid$/.test(f)).sort();
  const workers = await Promise.all(
    workerFiles.map(async (f) => {
      const file = join(home, f);
      const pid = Number(readFileSync(file, 'utf8').trim());
      const r = await stopPid(`background worker (${f.slice('worker-'.length, -'.pid'.length)})`, pid, (args) => args.includes('worker') && args.some((a) => a.endsWith('migrate.js')));
      rmSync(file, { force: true });
      return r;
    }),
  );
  out.push(...workers);
  const { stateFile } = localServerPaths(env, cwd);
  if (existsSync(stateFile)) {
    const { pid } = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number };
    out.push(await stopPid('Temporal dev server', Number(pid), (args) => args.includes('server') && args.includes('start-dev')));
    rmSync(stateFile, { force: true });
  }
  return out;
}
