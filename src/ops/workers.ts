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

const BIN = fileURLToPath(new URL('../../bin/migrate.js', import.meta.url));

/** Identities of workers that polled the queue for activities recently. */
export async function activityPollers(client: Client, namespace: string, taskQueue: string): Promise<string[]> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (res.pollers ?? []).map((p) => p.identity ?? 'unknown');
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
  const pollers = await activityPollers(opts.client, opts.namespace, opts.taskQueue);
  if (pollers.length > 0) return { pollers };
  if (!opts.local) {
    throw new EnvironmentError(`no worker polls task queue "${opts.taskQueue}" in namespace "${opts.namespace}"`, {
      hint: `Start one (or more, on any machine) with \`migrate worker --plan ${opts.planFile}\`; the work waits in Temporal until then. Pass --no-wait-for-worker to start it anyway.`,
    });
  }
  const home = migrateHome(opts.env, opts.cwd);
  mkdirSync(home, { recursive: true });
  const logFile = join(home, `worker-${opts.planName}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, 'worker', '--plan', resolve(opts.cwd, opts.planFile)], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  child.unref();
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
