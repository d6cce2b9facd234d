/**
 * Recorded workflow histories, the replay fixtures under test/fixtures/workflow-histories.
 * `RECORD_WORKFLOW_HISTORIES=1 npx vitest run test/workflows/sweep-workflow.test.ts test/workflows/sync-workflow.test.ts test/workflows/verify-workflow.test.ts test/workflows/cutover-workflow.test.ts test/workflows/write-switch-workflow.test.ts test/workflows/reverse-sync-workflow.test.ts test/workflows/lifecycle-workflow.test.ts`
 * records them again; do that only for a new scenario, never to make a replay pass (docs/architecture.md, "Changing a workflow").
 *
 * Stored as the proto classes' own object form (toObject/fromObject of @temporalio/proto) rather
 * than proto3 JSON: @temporalio/common's JSON helpers fail when npm installs more than one protobufjs.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORY_FIXTURES = join(process.cwd(), 'test', 'fixtures', 'workflow-histories');
const History = temporal.api.history.v1.History;

/** Writes the run's history as a replay fixture, when asked to (`RECORD_WORKFLOW_HISTORIES=1`). */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.RECORD_WORKFLOW_HISTORIES) return;
  const history = History.toObject(History.fromObject(await handle.fetchHistory()), { longs: String, enums: String, bytes: String });
  // The workflow ID is not in the history, and code may depend on it (the verify run names its sweep child by it).
  writeFileSync(join(HISTORY_FIXTURES, `${name}.json`), JSON.stringify({ workflowId: handle.workflowId, history }, null, 1) + '\n');
}

export function historyFixtures(): string[] {
  return readdirSync(HISTORY_FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
}

export function loadHistory(name: string): { workflowId: string; history: temporal.api.history.v1.History } {
  const { workflowId, history } = JSON.parse(readFileSync(join(HISTORY_FIXTURES, `${name}.json`), 'utf8')) as { workflowId: string; history: object };
  return { workflowId, history: History.fromObject(history) };
}
