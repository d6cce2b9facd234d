/**
 * Workflows on their own: a worker on the test's Temporal dev server that runs the real workflow
 * bundle with activities the test supplies, on a task queue of its own. Recorded histories of
 * these runs are the replay fixtures (see histories.ts).
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import { installRuntime, workflowBundle } from '../../src/temporal/worker.js';
import { WORKFLOW_CACHE } from './harness.js';

export interface MockWorker {
  client: Client;
  taskQueue: string;
  /** A workflow ID unique to this test run. */
  id(label: string): string;
  stop(): Promise<void>;
}

export async function startMockWorker(activities: Partial<Activities>): Promise<MockWorker> {
  installRuntime();
  const address = inject('temporalAddress');
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const native = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: await workflowBundle(WORKFLOW_CACHE),
    activities,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  return {
    client: new Client({ connection }),
    taskQueue,
    id: (label) => `${label}-${taskQueue}`,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await native.close();
      await connection.close();
    },
  };
}

/** Calls of one mocked activity, in order, and what the test wants it to answer. */
export function recorder<I, O>(answer: (input: I, call: number) => O | Promise<O>): ((input: I) => Promise<O>) & { calls: I[] } {
  const calls: I[] = [];
  const fn = async (input: I) => {
    calls.push(input);
    return answer(input, calls.length);
  };
  return Object.assign(fn, { calls });
}
