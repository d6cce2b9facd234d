import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(name) ? [p] : [];
  });
}

describe('flags and routing documents go through the FlagProvider', () => {
  it('Given the sources outside src/state and src/flags, when scanned, then none calls a store flag or routing method directly', () => {
    // The provider is the one seam where a team's own flag system replaces the state store; a call
    // on the store itself would quietly read the wrong flags once it does.
    const direct = /\b(store|stateStore\(\)\))\.(getFlag|setFlag|listFlags|getRouting|listRouting|publishRouting)\(/;
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file);
      if (rel.startsWith(`state${path.sep}`) || rel.startsWith(`flags${path.sep}`)) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (direct.test(line)) offenders.push(`src/${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
