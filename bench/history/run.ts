/**
 * One check of recorded directories against a truth source: load, read the truth for the keys the
 * history touched, check, and write the Jepsen export. What the CLI, the e2e test and the demo call.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkHistory, statusVersion, type CheckReport, type VersionOf } from './checker.js';
import { jepsenJson, toJepsen } from './jepsen.js';
import { loadHistories, type LoadedHistory } from './load.js';
import { readValuesFile, type TruthSource } from './truth.js';

export interface CheckDirectoriesOptions {
  dirs: string[];
  truth: TruthSource;
  windowMs: number;
  versionOf?: VersionOf;
  /** Values before the run; default `<first dir>/initial.json` when it exists. */
  initialPath?: string;
  /** Where the Jepsen export goes; default `<first dir>/history.jepsen.json`; false: not written. */
  jepsenPath?: string | false;
  requireMonotonicReads?: boolean;
}

export interface CheckDirectoriesResult {
  report: CheckReport;
  history: Omit<LoadedHistory, 'operations'> & { operations: number };
  truth: string;
  initial: string | undefined;
  jepsenPath: string | undefined;
}

export async function checkDirectories(options: CheckDirectoriesOptions): Promise<CheckDirectoriesResult> {
  const versionOf = options.versionOf ?? statusVersion();
  const loaded = loadHistories(options.dirs);
  // An empty history passes every check: refuse it rather than print a verdict about nothing.
  if (loaded.files.length === 0) throw new Error(`no history (*.jsonl) in ${options.dirs.join(', ')}`);
  const defaultInitial = join(options.dirs[0]!, 'initial.json');
  const initialPath = options.initialPath ?? (existsSync(defaultInitial) ? defaultInitial : undefined);
  const initial = initialPath !== undefined ? readValuesFile(initialPath) : undefined;
  const keys = new Map<string, unknown>();
  for (const op of loaded.operations) keys.set(op.keyText, op.key);
  const truth = await options.truth.read([...keys.values()]);
  const report = checkHistory({ operations: loaded.operations, truth, ...(initial !== undefined ? { initial } : {}), windowMs: options.windowMs, versionOf, requireMonotonicReads: options.requireMonotonicReads === true });

  let jepsenPath: string | undefined;
  if (options.jepsenPath !== false) {
    jepsenPath = options.jepsenPath ?? join(options.dirs[0]!, 'history.jepsen.json');
    // Keys present before the run, with their versions: from the snapshot, else those read at version 0.
    const readAtZero = new Set(loaded.operations.filter((o) => o.f === 'read' && o.type === 'ok' && o.value !== null && versionOf(o.value) === 0).map((o) => o.keyText));
    const initialVersions: [string | number, number][] = [];
    for (const [k, key] of keys) {
      const before = initial?.get(k);
      if (initial !== undefined ? before == null : !readAtZero.has(k)) continue;
      initialVersions.push([typeof key === 'number' || typeof key === 'string' ? key : k, before != null ? versionOf(before) : 0]);
    }
    writeFileSync(jepsenPath, jepsenJson(toJepsen(loaded.operations, versionOf, initialVersions).ops));
  }
  const { operations, ...rest } = loaded;
  return { report, history: { ...rest, operations: operations.length }, truth: options.truth.describe, initial: initialPath, jepsenPath };
}
