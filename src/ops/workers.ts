/**
 * Is anybody working the task queue? In local use, Tracer starts a background worker itself
 * (detached, logging to `.migrate/worker-<plan>.log`) so that closing the terminal never stops a
 * migration; against a configured cluster it only says that no worker polls and how to start one.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { EnvironmentError } from '../errors.js';
import { migrateHome } from '../temporal/local.js';
import { codeVersion } from '../temporal/codeVersion.js';
import { workerHeapMb, workerNodeFlags } from './workerHeap.js';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';

const BIN = fileURLToPath(new URL('../../bin/migrate.js', import.meta.url));

/** Identities of workers that polled the queue for activities within the last 75 s. */
export function activityPollers(client: Client, namespace: string, taskQueue: string): Promise<string[]> {
  return taskQueuePollers(client, namespace, taskQueue, 'activity');
}

/**
 * Identities of workers that polled the queue within the last 75 s, for activity tasks or for
 * workflow tasks (the latter are what answer queries).
 */
export async function taskQueuePollers(client: Client, namespace: string, taskQueue: string, type: 'activity' | 'workflow'): Promise<string[]> {
  const types = temporal.api.enums.v1.TaskQueueType;
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: type === 'activity' ? types.TASK_QUEUE_TYPE_ACTIVITY : types.TASK_QUEUE_TYPE_WORKFLOW,
  });
  // Temporal lists a poller for minutes after it is gone; a live one polls at least every ~60 s.
  const cutoff = Date.now() - 75_000;
  return (res.pollers ?? [])
    .filter((p) => !p.lastAccessTime?.seconds || Number(p.lastAccessTime.seconds) * 1000 >= cutoff)
    .map((p) => p.identity ?? 'unknown');
}

export interface WorkerCheck {
  /** Workers already polling. */
  pollers: string[];
  /** Set when this call started a background worker. */
  started?: { pid: number; logFile: string };
}

/**
 * Makes sure a worker polls the task queue. Local mode: starts `migrate worker` detached and waits
 * for it to poll. Otherwise: throws an EnvironmentError saying how to start one.
 */
export async function ensureWorker(opts: {
  client: Client;
  namespace: string;
  taskQueue: string;
  planFile: string;
  local: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  planName: string;
}): Promise<WorkerCheck> {
  const home = migrateHome(opts.env, opts.cwd);
  const pidFile = join(home, `worker-${opts.planName}.pid`);
  let pollers = await activityPollers(opts.client, opts.namespace, opts.taskQueue);
  if (opts.local) pollers = await retireStaleLocalWorker(opts, pidFile, pollers);
  if (pollers.length > 0) return { pollers };
  if (!opts.local) {
    throw new EnvironmentError(`no worker polls task queue "${opts.taskQueue}" in namespace "${opts.namespace}"`, {
      hint: `Start one (or more, on any machine) with \`migrate worker --plan ${opts.planFile}\`; the work waits in Temporal until then. Pass --no-wait-for-worker to start it anyway.`,
    });
  }
  mkdirSync(home, { recursive: true });
  const logFile = join(home, `worker-${opts.planName}.log`);
  const fd = openSync(logFile, 'a');
  const identity = `${LOCAL_PREFIX}${codeVersion()}-${process.pid}`;
  // Started under its heap cap directly (one process, not the worker's own re-spawn); see workerHeap.ts.
  const heapMb = workerHeapMb(undefined, opts.env);
  const child = spawn(process.execPath, [...workerNodeFlags(heapMb), BIN, 'worker', '--plan', resolve(opts.cwd, opts.planFile), '--identity', identity], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EnvironmentError(`the background worker exited with code ${child.exitCode}`, { hint: `See ${logFile}.` });
    }
    if ((await activityPollers(opts.client, opts.namespace, opts.taskQueue)).length > 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return { pollers: [], started: { pid: child.pid ?? -1, logFile } };
}

/** Identity prefix of background workers that migrate starts itself in local use. */
const LOCAL_PREFIX = 'migrate-local-';

/**
 * Stops the background worker this folder started when it runs other code than this checkout
 * (its identity carries the code fingerprint), so new commands never meet old workflows, and
 * forgets it when it has died. Workers the operator started are never touched. Returns the
 * pollers that remain.
 */
async function retireStaleLocalWorker(opts: { client: Client; namespace: string; taskQueue: string }, pidFile: string, pollers: string[]): Promise<string[]> {
  const local = pollers.filter((p) => p.startsWith(LOCAL_PREFIX));
  if (local.length === 0) return pollers;
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  const alive = pid !== undefined && isAlive(pid);
  const current = local.filter((p) => p.startsWith(`${LOCAL_PREFIX}${codeVersion()}-`));
  // Temporal keeps listing a poller for minutes after it stops: a dead background worker must not count.
  if (alive && current.length > 0) return pollers;
  if (alive && pid !== undefined) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
  }
  rmSync(pidFile, { force: true });
  return pollers.filter((p) => !local.includes(p));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
