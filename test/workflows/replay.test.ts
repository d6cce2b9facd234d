/**
 * Replay of recorded histories: today's workflow code must make the same decisions, in the same
 * order, as the code that recorded them, or executions running during a deploy would break. A
 * change that fails here needs a `patched()` guard (docs/architecture.md, "Changing a workflow"),
 * not a re-recorded fixture.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { installRuntime, workflowBundle } from '../../src/temporal/worker.js';
import { WORKFLOW_CACHE } from '../support/harness.js';
import { historyFixtures, loadHistory } from '../support/histories.js';

let bundle: { code: string };
beforeAll(async () => {
  installRuntime();
  bundle = await workflowBundle(WORKFLOW_CACHE);
});

describe('recorded workflow histories', () => {
  it('Given the fixtures, when listed, then the cutover, lifecycle run, reverse sync, sweep, sync, verify and write switch scenarios are all there', () => {
    expect(historyFixtures()).toEqual(['cutover-continue-as-new', 'cutover-stages', 'lifecycle-run', 'reverse-sync-stop', 'sweep-auth-pause', 'sweep-continue-as-new', 'sweep-flag-pause', 'sync-continue-as-new', 'sync-flag-pause', 'verify-recheck-rounds', 'write-switch-forward', 'write-switch-rollback']);
  });

  it.each(historyFixtures())('Given the recorded history %s, when today’s workflows replay it, then they make the same decisions', async (name) => {
    const { workflowId, history } = loadHistory(name);
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
  });

  it('Given a sweep changed to read its flag before planning, when it replays a recorded history, then replay fails as non-deterministic', async () => {
    const workflowsPath = fileURLToPath(new URL('../fixtures/workflows/reordered-sweep.ts', import.meta.url));
    const { workflowId, history } = loadHistory('sweep-flag-pause');
    await expect(Worker.runReplayHistory({ workflowsPath }, history, workflowId)).rejects.toThrow(DeterminismViolationError);
  });
});
