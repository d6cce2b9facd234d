/**
 * Plain progress lines for logs that are not terminals (CI, files, pipes): one self-contained,
 * timestamped line per entity or sweep update, no escape codes, no cursor movement.
 */
import type { DashboardSnapshot, EntityStatus, SweepProgress } from '../../progress.js';
import { clean, clock, formatCount, viewEntity, viewSweep, type SweepView } from '../view.js';

function isSnapshot(x: DashboardSnapshot | SweepProgress): x is DashboardSnapshot {
  return Array.isArray((x as DashboardSnapshot).entities);
}

function detailParts(s: SweepView): string[] {
  const parts: string[] = [];
  if (s.rate) parts.push(s.rate);
  if (s.stalled) parts.push(s.stalled);
  if (s.eta) parts.push(`ETA ${s.eta}`);
  parts.push(`${formatCount(s.failures)} ${s.failures === 1 ? 'failure' : 'failures'}`);
  if (s.mismatches !== undefined) parts.push(`${formatCount(s.mismatches)} differ so far`);
  return parts;
}

/** One entity as a line body (no timestamp): the same fields, in the same words, as the Ink row. */
export function plainEntity(status: EntityStatus): string {
  const v = viewEntity(status);
  const head = v.sweep ? `${v.entity}: ${v.phase.text} ${v.sweep.percent}` : `${v.entity}: ${v.phase.text}`;
  const parts = [head];
  if (v.sweep) parts.push(`${v.sweep.kind} ${v.sweep.counts}`, ...detailParts(v.sweep));
  if (v.status) parts.push(v.status.text);
  if (v.verification) parts.push(`last verify ${v.verification.text}`);
  if (v.sync) parts.push(v.sync.text);
  if (v.cutover) parts.push(v.cutover.text);
  if (v.reverseSync) parts.push(v.reverseSync.text);
  if (v.run) parts.push(v.run.text);
  if (v.workflowUrl) parts.push(`workflow ${v.workflowUrl}`);
  if (v.next) parts.push(`next: ${v.next}`);
  return parts.join(' · ');
}

/** One sweep as a line body: totals, rate, ETA, failures, then how many partitions are in each state. */
export function plainSweep(sweep: SweepProgress, label?: string): string {
  const v = viewSweep(sweep);
  const counts = new Map<string, number>();
  for (const p of sweep.partitions) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  const partitions = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  const parts = [`${label ? `${clean(label)} ` : ''}${v.kind} ${v.state} ${v.percent}`, v.counts, ...detailParts(v)];
  if (v.status) parts.push(v.status.text);
  if (partitions) parts.push(`partitions: ${partitions}`);
  return parts.join(' · ');
}

/**
 * Timestamped plain text: for a snapshot one line per entity (plus a plan line while reconnecting or
 * when the snapshot carries a message), for a sweep one line. Lines are joined by "\n", no trailing one.
 */
export function renderPlainLine(data: DashboardSnapshot | SweepProgress, now: number, label?: string): string {
  const ts = new Date(now).toISOString();
  if (!isSnapshot(data)) return `${ts} ${plainSweep(data, label)}`;
  const lines: string[] = [];
  if (data.connection === 'reconnecting') {
    lines.push(`${ts} plan ${clean(data.plan)}: reconnecting… showing data from ${clock(data.takenAt)}`);
  }
  if (data.message) lines.push(`${ts} plan ${clean(data.plan)}: ${clean(data.message)}`);
  for (const e of data.entities) lines.push(`${ts} ${plainEntity(e)}`);
  if (data.entities.length === 0) lines.push(`${ts} plan ${clean(data.plan)}: no entities`);
  return lines.join('\n');
}

export interface PlainRendererOptions {
  /** Repeat an unchanged entity's line at most this often, so long quiet runs still show life. */
  heartbeatMs?: number;
  now?: () => number;
}

/**
 * Writes plain lines to `stream`, only for entities whose line changed (or after `heartbeatMs`), so
 * a CI log of a multi-hour backfill stays readable instead of repeating every poll.
 */
export function createPlainRenderer(stream: NodeJS.WritableStream, options: PlainRendererOptions = {}) {
  const heartbeat = options.heartbeatMs ?? 60_000;
  const now = options.now ?? Date.now;
  const last = new Map<string, { body: string; at: number }>();
  const emit = (key: string, body: string, line: string, at: number) => {
    const prev = last.get(key);
    if (prev && prev.body === body && at - prev.at < heartbeat) return;
    last.set(key, { body, at });
    stream.write(line + '\n');
  };
  return {
    /** Writes what changed since the last update. */
    update(data: DashboardSnapshot | SweepProgress, label?: string): void {
      const at = now();
      const ts = new Date(at).toISOString();
      if (!isSnapshot(data)) {
        const body = plainSweep(data, label);
        emit(`sweep:${label ?? ''}`, body, `${ts} ${body}`, at);
        return;
      }
      // While reconnecting, say which system does not answer: that is what the operator goes to fix.
      const plan = data.connection === 'reconnecting' ? `reconnecting… showing data from ${clock(data.takenAt)}${data.message ? ` — ${clean(data.message)}` : ''}` : 'connected';
      // Only say "connected" again after a reconnect, not on the first frame.
      if (last.has('plan') || data.connection === 'reconnecting') emit('plan', plan, `${ts} plan ${clean(data.plan)}: ${plan}`, at);
      for (const e of data.entities) {
        const body = plainEntity(e);
        emit(`entity:${e.entity}`, body, `${ts} ${body}`, at);
      }
    },
    stop(): void {
      last.clear();
    },
  };
}
