/**
 * The consumer library ships to applications: its import closure (every module reachable from
 * src/consumer/index.ts, type-only imports excluded) must stay inside the pure modules and never
 * reach the CLI, Temporal, Ink, databases or the plan file loader.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Runtime imports of a TS file: `import … from 'x'` and `export … from 'x'`, skipping `import type`/`export type`. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) if (m[2] === undefined) out.push(m[3]!);
  return out;
}

function closure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('consumer library imports', () => {
  it('given the package entry, when its runtime imports are followed, then they stay in src/consumer, the comparison rules, the routing module and pure value helpers', () => {
    const { files, packages } = closure(resolve(ROOT, 'src/consumer/index.ts'));
    const allowed = [/^src\/consumer\//, /^src\/compare\/(rules|ruleSet|ruleSchema|equality|redact)\.ts$/, /^src\/flags\/routing(Evaluator|Key)?\.ts$/, /^src\/mapping\/casts\.ts$/, /^src\/values\/(json|special)\.ts$/, /^src\/errors\.ts$/];
    const outside = files.filter((f) => !allowed.some((re) => re.test(f)));
    expect(outside).toEqual([]);
    // Sanity: the walk really followed the imports into the comparator and the routing module.
    expect(files).toContain('src/compare/rules.ts');
    expect(files).toContain('src/flags/routingEvaluator.ts');
    const forbidden = packages.filter((p) => /^(@temporalio\/|ink$|react$|commander$|pg$|mysql2$|kysely$|yaml$|cli-progress$|tsx$)/.test(p));
    expect(forbidden).toEqual([]);
    expect(packages).toContain('@openfeature/flagd-core');
  });
});
