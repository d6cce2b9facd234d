import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowSourceFiles } from '../../../src/temporal/workflowSources.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tracer-wfsrc-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('workflow bundle inputs', () => {
  it('Given an entry with value, re-export, multi-line and type-only imports, when its sources are listed, then every run-time import is followed transitively and type-only ones are not', () => {
    const root = tree({
      'wf/index.ts': `export { run } from './run.js';\nimport type { Deps } from '../deps.js';\nexport type { Shape } from './shape.js';\n`,
      'wf/run.ts': `import {\n  helper,\n  other,\n} from '../shared/helper.js';\nimport './side-effect.js';\nexport const run = () => helper(other);\n`,
      'wf/side-effect.ts': `globalThis.x = 1;\n`,
      'wf/shape.ts': `export interface Shape {}\n`,
      'shared/helper.ts': `import { deep } from './deep.js';\nexport const helper = deep, other = 1;\n`,
      'shared/deep.ts': `export const deep = (x: unknown) => x;\n`,
      'deps.ts': `import { heavy } from './heavy.js';\nexport type Deps = typeof heavy;\n`,
      'heavy.ts': `export const heavy = 1;\n`,
    });
    expect(workflowSourceFiles(join(root, 'wf/index.ts')).map((f) => relative(root, f))).toEqual([
      'shared/deep.ts',
      'shared/helper.ts',
      'wf/index.ts',
      'wf/run.ts',
      'wf/side-effect.ts',
    ]);
  });

  it("Given Tracer's workflows, when their sources are listed, then progress.ts is in and the activities (imported as types only) are out", () => {
    const files = workflowSourceFiles('src/workflows/index.ts').map((f) => relative(process.cwd(), f));
    expect(files).toContain('src/progress.ts');
    expect(files).toContain('src/workflows/sweepWorkflow.ts');
    expect(files.filter((f) => f.startsWith('src/activities/'))).toEqual([]);
  });

  it('Given an import of a file that does not exist, when sources are listed, then it says which file imports what', () => {
    const root = tree({ 'index.ts': `import { x } from './missing.js';\n` });
    expect(() => workflowSourceFiles(join(root, 'index.ts'))).toThrow(/index\.ts imports \.\/missing\.js/);
  });
});
