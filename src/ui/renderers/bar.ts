/**
 * `--progress=bar`: one cli-progress line per entity (dashboard snapshots) or per partition plus a
 * totals line (a sweep). Lines are composed here from the shared view, so they say what Ink says.
 */
import cliProgress from 'cli-progress';
import type { DashboardSnapshot, EntityStatus, PartitionProgress, SweepProgress } from '../../progress.js';
import { barText } from '../components/ProgressBar.js';
import {
  displayTotal,
  formatCount,
  formatPercent,
  sweepFraction,
  truncate,
  viewEntity,
  viewSweep,
  type SweepView,
} from '../view.js';

export interface BarRenderer {
  /** Redraws from a snapshot or a sweep; bars appear for entities or partitions seen first. */
  update(data: DashboardSnapshot | SweepProgress): void;
  /** Final redraw, then leaves the cursor below the bars. Idempotent. */
  stop(): void;
}

interface Line {
  label: string;
  fraction: number;
  counts: string;
  info: string;
  value: number;
  total: number;
}

function sweepInfo(v: SweepView, withState = true): string {
  if (v.status) return v.status.text;
  const parts: string[] = withState ? [v.state] : [];
  if (v.rate) parts.push(v.rate);
  if (v.eta) parts.push(`ETA ${v.eta}`);
  if (v.failures > 0) parts.push(`${formatCount(v.failures)} failed`);
  if (v.mismatches) parts.push(`${formatCount(v.mismatches)} differ`);
  return parts.join(' · ');
}

function entityLine(e: EntityStatus): Line {
  const v = viewEntity(e);
  const s = v.sweep;
  // The phase already says running/backfilling; the sweep adds rate, ETA or why it stopped.
  const info = [v.phase.text, s ? sweepInfo(s, false) : v.status?.text].filter((x) => !!x).join(' · ');
  return {
    label: v.entity,
    fraction: s?.fraction ?? 0,
    counts: s?.counts ?? '',
    info,
    value: e.backfill?.done ?? 0,
    total: Math.max(1, e.backfill ? displayTotal(e.backfill) : 1),
  };
}

function partitionLine(p: PartitionProgress, estimate: boolean): Line {
  const total = displayTotal(p);
  return {
    label: `p${p.index}`,
    fraction: sweepFraction(p),
    counts: `${formatCount(p.done)}/${estimate && p.state !== 'completed' ? '~' : ''}${formatCount(total)}`,
    info: p.state,
    value: p.done,
    total: Math.max(1, total),
  };
}

function linesOf(data: DashboardSnapshot | SweepProgress): Map<string, Line> {
  const out = new Map<string, Line>();
  if ('entities' in data) {
    for (const e of data.entities) out.set(`entity:${e.entity}`, entityLine(e));
    return out;
  }
  const v = viewSweep(data);
  out.set('total', {
    label: v.kind,
    fraction: v.fraction,
    counts: v.counts,
    info: sweepInfo(v),
    value: data.done,
    total: Math.max(1, displayTotal(data)),
  });
  for (const p of data.partitions) out.set(`p:${p.index}`, partitionLine(p, data.totalIsEstimate));
  return out;
}

/** Multi-line cli-progress bars on `stream` (normally stderr); each line is cut to the terminal width. */
export function createBarRenderer(stream: NodeJS.WriteStream): BarRenderer {
  const columns = () => Math.max(40, stream.columns || 80);
  let labelWidth = 4;
  const format: cliProgress.GenericFormatter = (_options, _params, payload: { line?: Line }) => {
    const l = payload.line;
    if (!l) return '';
    const cols = columns() - 1; // the last column would wrap on some terminals and break redraws
    const width = Math.max(8, Math.min(30, cols - labelWidth - 6 - l.counts.length - 12));
    const text = `${truncate(l.label, labelWidth).padEnd(labelWidth)} ${barText(l.fraction, width)} ${formatPercent(l.fraction).padStart(4)} ${l.counts} ${l.info}`;
    return truncate(text, cols);
  };
  const multibar = new cliProgress.MultiBar({
    stream,
    format,
    hideCursor: true,
    // Forced onto a non-terminal, still write (on a schedule) rather than stay silent.
    noTTYOutput: true,
    notTTYSchedule: 5000,
    fps: 5,
  });
  const bars = new Map<string, cliProgress.SingleBar>();
  let stopped = false;
  return {
    update(data) {
      if (stopped) return;
      const lines = linesOf(data);
      labelWidth = Math.min(20, Math.max(labelWidth, ...[...lines.values()].map((l) => [...l.label].length)));
      for (const [key, line] of lines) {
        const bar = bars.get(key);
        if (bar) {
          bar.setTotal(line.total);
          bar.update(Math.min(line.value, line.total), { line });
        } else {
          bars.set(key, multibar.create(line.total, Math.min(line.value, line.total), { line }));
        }
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multibar.stop();
    },
  };
}
