/**
 * The history checker (docs/history-checker.md): given the operations of every consumer process
 * and the final source of truth, it reports
 *
 * - lost acknowledged writes: an ok write whose value is not in the final truth and was not
 *   superseded by a later (higher-version) ok or unknown write that is;
 * - impossible reads: a value never written (nor initially present), written only by a failed
 *   write, different from what its version's write wrote, or read before that write was invoked;
 *   and final values of the same kinds;
 * - stale reads: a read that returned a version older than one acknowledged more than `windowMs`
 *   before the read was invoked — with the maximum staleness seen over all reads;
 * - non-monotonic reads: a process reading a key's older version after it had read a newer one
 *   (reported; they fail the verdict only with `requireMonotonicReads`).
 *
 * Order comes from versions carried in the values (`versionOf`): per key, writes carry distinct
 * versions ≥ 1, in the order they take effect; 0 is a value present before the run. That holds
 * when each key's writes come one at a time (e.g. one writer per key, waiting for each write).
 */
import { canonicalJson, type Operation } from './format.js';

/** A value's version: an integer ≥ 1 for values the run wrote, 0 for values present before it. */
export type VersionOf = (value: unknown) => number;

/**
 * The sample app's versions: an order whose `status` is `v<n>` is version n; any other order was
 * there before the run (version 0).
 */
export function statusVersion(field = 'status'): VersionOf {
  return (value) => {
    const s = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
    const m = typeof s === 'string' ? /^v(\d+)$/.exec(s) : null;
    return m ? Number(m[1]) : 0;
  };
}

export interface CheckInput {
  operations: Operation[];
  /** The final source of truth for every key the history touches: the value, or null when absent. */
  truth: Map<string, unknown>;
  /**
   * Values present before the run (keys missing here were absent); they may carry versions an
   * earlier run wrote. Without it, any version-0 value is taken as initial.
   */
  initial?: Map<string, unknown>;
  /** Reads may lag acknowledged writes by this much, ms. */
  windowMs: number;
  versionOf: VersionOf;
  /** How many examples of each anomaly to keep; default 20. */
  samples?: number;
  /**
   * Fail the verdict on non-monotonic reads too. Off by default: bounded staleness (every read
   * within the window) allows a process to see an older version after a newer one — e.g. when its
   * reads move from legacy to the new service while sync lags — so they are reported, not failed.
   */
  requireMonotonicReads?: boolean;
}

export interface LostWrite {
  key: string;
  version: number;
  process: string;
  /** Wall-clock ms of the acknowledgement. */
  ackedAt: number;
  /** The final truth's version (null when absent or not a value any write could have left). */
  finalVersion: number | null;
}

export interface ImpossibleRead {
  key: string;
  process: string;
  version: number | null;
  reason: 'never written' | 'written only by a failed write' | 'differs from the value written with its version' | 'read before its write was invoked' | 'absent, but present before the run and never deleted';
  at: number;
}

export interface ImpossibleFinal {
  key: string;
  version: number | null;
  reason: ImpossibleRead['reason'];
}

export interface StaleRead {
  key: string;
  process: string;
  version: number | null;
  /** The lowest newer version acknowledged before the read was invoked. */
  supersededBy: number;
  stalenessMs: number;
  at: number;
}

export interface NonMonotonicRead {
  key: string;
  process: string;
  /** The newer version this process had read (completed) before. */
  before: number | null;
  /** The older version it read afterwards. */
  after: number | null;
  at: number;
}

export interface InputProblem {
  key: string;
  problem: string;
}

export interface CheckReport {
  processes: number;
  keys: number;
  operations: { reads: Record<Operation['type'], number>; writes: Record<Operation['type'], number> };
  windowMs: number;
  lost: { count: number; samples: LostWrite[] };
  impossible: { reads: number; finals: number; samples: ImpossibleRead[]; finalSamples: ImpossibleFinal[] };
  stale: { count: number; maxStalenessMs: number; samples: StaleRead[] };
  /** `failsVerdict`: whether they count against the verdict (requireMonotonicReads). */
  nonMonotonic: { count: number; failsVerdict: boolean; samples: NonMonotonicRead[] };
  /** Writes that break the version contract (no version ≥ 1, a version used twice): the checker cannot vouch for those keys. */
  inputProblems: InputProblem[];
  ok: boolean;
}

const ABSENT = -1;
const shown = (v: number): number | null => (v === ABSENT ? null : v);

interface KeyWrites {
  /** Every write by version. */
  byVersion: Map<number, Operation>;
  /** Ok writes sorted by version, with the earliest ack among this and all higher versions. */
  acked: { version: number; ackedAt: number; earliestAckFromHere: number }[];
}

export function checkHistory(input: CheckInput): CheckReport {
  const { versionOf, windowMs } = input;
  const maxSamples = input.samples ?? 20;
  const push = <T>(list: T[], item: T): void => {
    if (list.length < maxSamples) list.push(item);
  };
  const versionOfRead = (v: unknown): number => (v === null || v === undefined ? ABSENT : versionOf(v));

  const report: CheckReport = {
    processes: new Set(input.operations.map((o) => o.process)).size,
    keys: 0,
    operations: { reads: { ok: 0, fail: 0, unknown: 0 }, writes: { ok: 0, fail: 0, unknown: 0 } },
    windowMs,
    lost: { count: 0, samples: [] },
    impossible: { reads: 0, finals: 0, samples: [], finalSamples: [] },
    stale: { count: 0, maxStalenessMs: 0, samples: [] },
    nonMonotonic: { count: 0, failsVerdict: input.requireMonotonicReads === true, samples: [] },
    inputProblems: [],
    ok: false,
  };

  const writes = new Map<string, KeyWrites>();
  const keys = new Set<string>();
  for (const op of input.operations) {
    keys.add(op.keyText);
    (op.f === 'read' ? report.operations.reads : report.operations.writes)[op.type]++;
    if (op.f !== 'write') continue;
    let kw = writes.get(op.keyText);
    if (kw === undefined) writes.set(op.keyText, (kw = { byVersion: new Map(), acked: [] }));
    const v = versionOf(op.value);
    if (!Number.isInteger(v) || v < 1) {
      report.inputProblems.push({ key: op.keyText, problem: `${op.process} wrote a value without a version ≥ 1: ${canonicalJson(op.value)}` });
      continue;
    }
    if (kw.byVersion.has(v)) {
      report.inputProblems.push({ key: op.keyText, problem: `version ${v} written twice (${kw.byVersion.get(v)!.process}, ${op.process})` });
      continue;
    }
    kw.byVersion.set(v, op);
  }
  report.keys = keys.size;
  for (const kw of writes.values()) {
    const acked = [...kw.byVersion.entries()].filter(([, op]) => op.type === 'ok').sort(([a], [b]) => a - b);
    let earliest = Infinity;
    kw.acked = acked
      .map(([version, op]) => ({ version, ackedAt: op.completeWall!, earliestAckFromHere: 0 }))
      .reverse()
      .map((w) => ({ ...w, earliestAckFromHere: (earliest = Math.min(earliest, w.ackedAt)) }))
      .reverse();
  }

  const initialPresent = (key: string): boolean | undefined => {
    if (input.initial !== undefined) return input.initial.has(key) && input.initial.get(key) !== null;
    return undefined;
  };
  /** Why `value` (version `v`) cannot be a state of `key` seen at wall time `at`, or undefined when it can. */
  const impossibility = (key: string, value: unknown, v: number, at: number | undefined): ImpossibleRead['reason'] | undefined => {
    // The value before the run (which may carry a version from an earlier run) is always possible.
    const before = input.initial?.get(key);
    if (before !== undefined && before !== null && v !== ABSENT && canonicalJson(before) === canonicalJson(value)) return undefined;
    if (v === ABSENT) return initialPresent(key) === true ? 'absent, but present before the run and never deleted' : undefined;
    if (v === 0) {
      if (input.initial === undefined) return undefined;
      return before === undefined || before === null ? 'never written' : 'differs from the value written with its version';
    }
    const w = writes.get(key)?.byVersion.get(v);
    if (w === undefined) return 'never written';
    if (w.type === 'fail') return 'written only by a failed write';
    if (canonicalJson(w.value) !== canonicalJson(value)) return 'differs from the value written with its version';
    if (at !== undefined && w.invokeWall > at) return 'read before its write was invoked';
    return undefined;
  };

  // Lost acknowledged writes, and final values no write could have left.
  for (const key of keys) {
    const final = input.truth.has(key) ? input.truth.get(key) : null;
    const vf = versionOfRead(final);
    const why = impossibility(key, final, vf, undefined);
    if (why !== undefined) {
      report.impossible.finals++;
      push(report.impossible.finalSamples, { key, version: shown(vf), reason: why });
    }
    const effective = why === undefined ? vf : ABSENT;
    for (const w of writes.get(key)?.acked ?? []) {
      if (w.version <= effective) continue;
      report.lost.count++;
      const op = writes.get(key)!.byVersion.get(w.version)!;
      push(report.lost.samples, { key, version: w.version, process: op.process, ackedAt: w.ackedAt, finalVersion: why === undefined ? shown(vf) : null });
    }
  }

  // Impossible and stale reads.
  const okReads = input.operations.filter((o) => o.f === 'read' && o.type === 'ok');
  for (const r of okReads) {
    const v = versionOfRead(r.value);
    const why = impossibility(r.keyText, r.value, v, r.completeWall);
    if (why !== undefined) {
      report.impossible.reads++;
      push(report.impossible.samples, { key: r.keyText, process: r.process, version: shown(v), reason: why, at: r.invokeWall });
      continue;
    }
    const acked = writes.get(r.keyText)?.acked ?? [];
    const first = acked.findIndex((w) => w.version > v);
    if (first < 0) continue;
    const earliest = acked[first]!.earliestAckFromHere;
    if (!(earliest < r.invokeWall)) continue;
    const staleness = r.invokeWall - earliest;
    report.stale.maxStalenessMs = Math.max(report.stale.maxStalenessMs, staleness);
    if (staleness > windowMs) {
      report.stale.count++;
      const by = acked.slice(first).find((w) => w.ackedAt === earliest)!.version;
      push(report.stale.samples, { key: r.keyText, process: r.process, version: shown(v), supersededBy: by, stalenessMs: staleness, at: r.invokeWall });
    }
  }
  report.stale.maxStalenessMs = Math.round(report.stale.maxStalenessMs * 1000) / 1000;

  // Non-monotonic reads, per process and key, in the process's own (monotonic) time: a read that
  // started after another had completed must not return an older version.
  const groups = new Map<string, Operation[]>();
  for (const r of okReads) {
    const g = `${r.process}\u0000${r.keyText}`;
    const list = groups.get(g);
    if (list === undefined) groups.set(g, [r]);
    else list.push(r);
  }
  for (const reads of groups.values()) {
    const byInvoke = [...reads].sort((a, b) => a.invokeMono - b.invokeMono);
    const byComplete = [...reads].sort((a, b) => a.completeMono! - b.completeMono!);
    let j = 0;
    let newest = ABSENT - 1;
    for (const r of byInvoke) {
      while (j < byComplete.length && byComplete[j]!.completeMono! < r.invokeMono) newest = Math.max(newest, versionOfRead(byComplete[j++]!.value));
      const v = versionOfRead(r.value);
      if (v < newest) {
        report.nonMonotonic.count++;
        push(report.nonMonotonic.samples, { key: r.keyText, process: r.process, before: shown(newest), after: shown(v), at: r.invokeWall });
      }
    }
  }

  report.ok =
    report.lost.count === 0 &&
    report.impossible.reads === 0 &&
    report.impossible.finals === 0 &&
    report.stale.count === 0 &&
    (!report.nonMonotonic.failsVerdict || report.nonMonotonic.count === 0) &&
    report.inputProblems.length === 0;
  return report;
}

/** The verdict as the CLI prints it (and the demo ends with). */
export function formatReport(r: CheckReport): string {
  const ops = (c: Record<string, number>): string => `${c.ok} ok, ${c.fail} failed, ${c.unknown} unknown`;
  const lines = [
    `history: ${r.processes} processes, ${r.keys} keys; reads ${ops(r.operations.reads)}; writes ${ops(r.operations.writes)}`,
    `lost acknowledged writes: ${r.lost.count}`,
    `impossible reads: ${r.impossible.reads} (impossible final values: ${r.impossible.finals})`,
    `stale reads beyond ${r.windowMs} ms: ${r.stale.count} (max staleness seen ${r.stale.maxStalenessMs} ms)`,
    `non-monotonic reads: ${r.nonMonotonic.count}${r.nonMonotonic.failsVerdict ? '' : ' (reported; --require-monotonic-reads fails on them)'}`,
  ];
  if (r.inputProblems.length > 0) lines.push(`history problems: ${r.inputProblems.length} (first: key ${r.inputProblems[0]!.key}: ${r.inputProblems[0]!.problem})`);
  for (const l of r.lost.samples.slice(0, 5)) lines.push(`  lost: key ${l.key} v${l.version} acknowledged to ${l.process}; final ${l.finalVersion === null ? 'absent or impossible' : `v${l.finalVersion}`}`);
  for (const i of r.impossible.samples.slice(0, 5)) lines.push(`  impossible read: key ${i.key} ${i.version === null ? 'absent' : `v${i.version}`} by ${i.process}: ${i.reason}`);
  for (const i of r.impossible.finalSamples.slice(0, 5)) lines.push(`  impossible final: key ${i.key} ${i.version === null ? 'absent' : `v${i.version}`}: ${i.reason}`);
  for (const s of r.stale.samples.slice(0, 5)) lines.push(`  stale read: key ${s.key} ${s.version === null ? 'absent' : `v${s.version}`} by ${s.process}, v${s.supersededBy} acknowledged ${s.stalenessMs} ms before`);
  for (const n of r.nonMonotonic.samples.slice(0, 5)) lines.push(`  non-monotonic: key ${n.key} by ${n.process}: ${n.before === null ? 'absent' : `v${n.before}`} then ${n.after === null ? 'absent' : `v${n.after}`}`);
  lines.push(`verdict: ${r.ok ? 'PASS' : 'FAIL'}`);
  return lines.join('\n');
}
