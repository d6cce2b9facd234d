/**
 * What every worker loads into its workflow thread: the bundle webpack makes of src/workflows.
 * Each megabyte of it is parsed and kept by each worker, so what gets into it is a budget.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { installRuntime, workflowBundle } from '../../src/temporal/worker.js';
import { WORKFLOW_CACHE } from '../support/harness.js';

let code: string;
beforeAll(async () => {
  installRuntime();
  code = (await workflowBundle(WORKFLOW_CACHE)).code;
});

/** The inline source map the SDK reads stack-trace positions from. */
function inlineSourceMap(bundle: string): { sources: string[]; sourcesContent?: unknown[]; mappings: string } {
  const at = bundle.lastIndexOf('//# sourceMappingURL=data:application/json');
  expect(at).toBeGreaterThan(0);
  return JSON.parse(Buffer.from(bundle.slice(bundle.indexOf('base64,', at) + 7).trim(), 'base64').toString('utf8'));
}

describe('the workflow bundle', () => {
  it('Given the workflows, when bundled, then the plan schema and its libraries (zod, yaml, lossless-json) are not in it', () => {
    const map = inlineSourceMap(code);
    const heavy = map.sources.filter((s) => /node_modules\/(zod|yaml|lossless-json)\/|src\/plan\/schema\.ts$/.test(s));
    expect(heavy).toEqual([]);
  });

  it('Given the workflows, when bundled, then the source map still places code in src/ files but carries no copy of the sources', () => {
    const map = inlineSourceMap(code);
    expect(map.sources.some((s) => s.endsWith('src/workflows/sweepWorkflow.ts'))).toBe(true);
    expect(map.mappings.length).toBeGreaterThan(0);
    expect(map.sourcesContent ?? []).toEqual([]);
  });
});
