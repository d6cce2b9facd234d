/**
 * Every `migrate worker` bounds its own memory: V8 otherwise grows the heap lazily to gigabytes
 * while a worker's live data stays under ~60 MB (docs/operations.md, "Worker memory"). A heap limit
 * can only be set when Node starts, so a worker started without one runs itself again, once, as a
 * child with `--max-old-space-size`, forwards SIGINT/SIGTERM to it and ends with its exit code. A
 * child whose parent disappears (even by SIGKILL) exits at once rather than polling as an orphan.
 */
import { spawn } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { UserError } from '../errors.js';

/**
 * Old-space cap in MB. A worker's old space holds ~55-60 MB live during a backfill. Under a 128 MB cap
 * (with a 32 MB semi-space) V8 left it ~5 MB of growth, so a full mark-compact ran every 200 ms
 * (MySQL) to 700 ms (PostgreSQL), garbage collection took a quarter of a MySQL worker's CPU, and 4 of
 * 14 one-million-row runs fell into near constant collection (PostgreSQL 42-52 CPU s instead of 6,
 * MySQL 15-19 instead of 9). At 256 MB no run did (docs/operations.md, "Worker memory").
 */
export const DEFAULT_WORKER_HEAP_MB = 256;

/**
 * Young-generation semi-space in MB for a capped worker (V8's default is 16). Measured with
 * allocation-site pretenuring off (below), a warmed-up worker copied 1M rows for about the same CPU
 * with 16 MB (PostgreSQL 3.3-3.5 s, MySQL 3.0-3.6 s) as with 32 (3.3-3.6 s, 2.9-3.4 s) and peaked at
 * 261-266 MB RSS against 289-299 MB; a verification cost 5.2 against 4.9 CPU s, at 256 against 287 MB. 16 keeps
 * the worker under 300 MB with room to spare. (With pretenuring on, 16 had cost a verification
 * 15-25% more CPU; a 64 MB semi-space under a 128 MB cap collected without end.) Measured in
 * docs/operations.md, "Worker memory".
 */
export const WORKER_SEMI_SPACE_MB = 16;

/**
 * V8 pretenures objects from allocation sites whose objects often survived a scavenge: they are
 * then allocated in old space directly. A worker's pages of rows and their mapped items live for a
 * few milliseconds, a little longer while the next page is read ahead, so sites in the MySQL driver
 * and the mapping got pretenured and filled old space with garbage: 68 full collections per
 * million rows against 27 on PostgreSQL. Without it a warmed-up worker copied 1M MySQL rows with
 * 2.6-3.2 CPU s instead of 3.8-4.2 (PostgreSQL 3.1-3.2 instead of 3.2-3.5).
 */
export const WORKER_V8_FLAGS = ['--no-allocation-site-pretenuring'];

/** The node flags a worker capped at `heapMb` starts with (none for 0, no cap). */
export function workerNodeFlags(heapMb: number): string[] {
  if (heapMb <= 0) return [];
  return [`--max-old-space-size=${heapMb}`, ...(heapMb >= 128 ? [`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`] : []), ...WORKER_V8_FLAGS];
}

/** Marks the child, so it never re-spawns again. */
const CHILD_MARK = 'MIGRATE_WORKER_HEAP_CHILD';

/** The cap: `--max-heap`, else MIGRATE_WORKER_HEAP_MB, else the default; 0 means no cap. */
export function workerHeapMb(option: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = option ?? env.MIGRATE_WORKER_HEAP_MB;
  if (raw === undefined || raw === '') return DEFAULT_WORKER_HEAP_MB;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || (n > 0 && n < 64)) {
    throw new UserError(`worker heap cap ${JSON.stringify(raw)} (${option !== undefined ? '--max-heap' : 'MIGRATE_WORKER_HEAP_MB'}) is not a whole number of MB of at least 64, or 0 for no cap`, {
      hint: `The default is ${DEFAULT_WORKER_HEAP_MB}; raise it with the partitions a worker runs at once, e.g. --max-heap 384.`,
    });
  }
  return n;
}

/** True when Node was started with a heap limit already (by us, by the operator, or NODE_OPTIONS). */
export function heapAlreadyLimited(execArgv: string[], env: NodeJS.ProcessEnv): boolean {
  return env[CHILD_MARK] === '1' || [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--max-old-space-size'));
}

/** The heap limit V8 enforces in this process, in MB (old space plus young generation). */
export function effectiveHeapLimitMb(): number {
  return Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
}

/**
 * Runs this very command again under `--max-old-space-size=<heapMb>` (and the worker's semi-space) and resolves with the child's
 * exit code. SIGINT and SIGTERM are passed on, so stopping the parent stops the worker gracefully.
 */
export function runUnderHeapCap(heapMb: number, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...workerNodeFlags(heapMb), ...process.argv.slice(1)], {
    env: { ...env, [CHILD_MARK]: '1' },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null) child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2) : 1));
    });
  });
}

/**
 * In the child: calls `stop` (a graceful shutdown) as soon as the parent is gone — its IPC channel
 * closes even when the parent was SIGKILLed — so the worker never runs on as an orphan.
 */
export function stopWithParent(stop: () => void, log: (line: string) => void): void {
  if (process.env[CHILD_MARK] !== '1' || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => {
    log('the parent `migrate worker` process is gone; this worker stops');
    stop();
  });
}
