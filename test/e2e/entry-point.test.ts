/**
 * bin/migrate.js as a process: which code it runs (compiled dist/ or the sources), and that help
 * and usage errors load commander and nothing heavy (Temporal, database drivers, zod, yaml, Ink).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, modulesLoadedBy } from '../support/processes.js';

const HEAVY = ['@temporalio/', '/pg/', '/mysql2/', '/zod/', '/yaml/', '/ink/', '/react/', '/cli-progress/'];

describe('lazy start-up', () => {
  const cases = [['--help'], ['--version'], ['status', '--help'], ['backfill', '--help'], ['verify', '--help'], ['worker', '--help'], ['flags', 'set', '--help'], ['plan', '--help'], ['sync', '--help'], ['local', 'stop', '--help']];
  it.each(cases.map((args) => [args.join(' '), args] as const))(
    'given the CLI, when `migrate %s` runs, then it loads commander and no Temporal, database, zod, yaml or Ink module',
    (_label, args) => {
      const { code, modules } = modulesLoadedBy([...args]);
      expect(code).toBe(0);
      expect(modules.some((m) => m.includes('/commander/'))).toBe(true);
      expect(modules.filter((m) => HEAVY.some((h) => m.includes(h)))).toEqual([]);
    },
  );

  it('given a mistyped option, when the usage error is printed, then nothing heavy was loaded either', () => {
    const { code, modules, stderr } = modulesLoadedBy(['backfill', '--entiy', 'orders']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown option '--entiy'/);
    expect(modules.filter((m) => HEAVY.some((h) => m.includes(h)))).toEqual([]);
  });
});

describe('which code bin/migrate.js runs', () => {
  // A package folder of its own: the real bin/, a dist/ and a src/ whose main() says which it is,
  // and the checkout's node_modules (for tsx).
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function fakePackage(opts: { src: boolean; dist: boolean }): string {
    const root = mkdtempSync(path.join(tmpdir(), 'tracer-entry-'));
    dirs.push(root);
    cpSync(path.join(ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
    writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
    const main = (which: string) => `export async function main() { process.stdout.write('${which}'); return 0; }\n`;
    if (opts.dist) {
      mkdirSync(path.join(root, 'dist/cli'), { recursive: true });
      writeFileSync(path.join(root, 'dist/cli/main.js'), main('dist'));
      writeFileSync(path.join(root, 'dist/BUILT'), 'stamp\n');
    }
    if (opts.src) {
      mkdirSync(path.join(root, 'src/cli'), { recursive: true });
      writeFileSync(path.join(root, 'src/cli/main.ts'), main('src').replace('main()', 'main(): Promise<number>'));
    }
    return root;
  }
  const run = (root: string) => spawnSync(process.execPath, [path.join(root, 'bin/migrate.js')], { cwd: root, encoding: 'utf8' }).stdout;
  const at = (root: string, file: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(path.join(root, file), t, t);
  };

  it('given a checkout whose dist/ was built after the last source change, then it runs dist/', () => {
    const root = fakePackage({ src: true, dist: true });
    at(root, 'src/cli/main.ts', 60);
    at(root, 'dist/BUILT', 10);
    expect(run(root)).toBe('dist');
  });

  it('given a checkout with a source changed after the build, then it runs the sources, never stale code', () => {
    const root = fakePackage({ src: true, dist: true });
    at(root, 'dist/BUILT', 60);
    at(root, 'src/cli/main.ts', 10);
    expect(run(root)).toBe('src');
  });

  it('given a checkout never built, then it runs the sources', () => {
    expect(run(fakePackage({ src: true, dist: false }))).toBe('src');
  });

  it('given an installed package (dist/ without src/), then it runs dist/ whatever the times', () => {
    const root = fakePackage({ src: false, dist: true });
    at(root, 'dist/BUILT', 3600);
    expect(run(root)).toBe('dist');
  });
});
