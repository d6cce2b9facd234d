/**
 * `--progress=bar`: one cli-progress line per entity (dashboard snapshots) or per partition plus a
 * totals line (a sweep). Lines are composed here from the shared view, so they say what Ink says.
 */
import cliProgress from 'cli-progress';
import type { DashboardSnapshot, EntityStatus, PartitionProgress, SweepProgress } from '../../progress.js';
import { barText } from '../components/barText.js';
import {
  activeSweep,
  displayTotal,
  formatCount,
  formatCountShort,
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
  /** A line printed above the bars (e.g. that Temporal does not answer). */
  note(text: string): void;
  /** Final redraw, then leaves the cursor below the bars. Idempotent. */
  stop(): void;
}

interface Line {
  label: string;
  fraction: number;
  /** Exact counts, and the short form used below 80 columns. */
  counts: string;
  short: string;
  info: string;
  value: number;
  total: number;
}

function sweepInfo(v: SweepView, withState = true): string {
  if (v.status) return v.stalled ? `${v.stalled} · ${v.status.text}` : v.status.text;
  const parts: string[] = withState ? [v.state] : [];
  if (v.rate) parts.push(v.rate);
  if (v.stalled) parts.push(v.stalled);
  if (v.eta) parts.push(`ETA ${v.eta}`);
  if (v.failures > 0) parts.push(`${formatCount(v.failures)} failed`);
  if (v.mismatches) parts.push(`${formatCount(v.mismatches)} differ`);
  return parts.join(' · ');
}

function entityLine(e: EntityStatus): Line {
  const v = viewEntity(e);
  const s = v.sweep;
  // Why it stopped says more than the phase; otherwise the phase plus rate and ETA.
  // Rate and ETA first: on a narrow terminal the phase word is what gets cut.
  const info = v.status ? v.status.text : [s ? sweepInfo(s, false) : '', v.phase.text].filter((x) => !!x).join(' · ');
  const sweep = v.sweep ? activeSweep(e) : undefined;
  return {
    label: v.entity,
    fraction: s?.fraction ?? 0,
    counts: s?.counts ?? '',
    short: sweep ? shortCounts(sweep.done, displayTotal(sweep), sweep.totalIsEstimate && sweep.state !== 'completed') : '',
    info,
    value: sweep?.done ?? 0,
    total: Math.max(1, sweep ? displayTotal(sweep) : 1),
  };
}

function shortCounts(done: number, total: number, estimate: boolean): string {
  return `${formatCountShort(done)}/${estimate ? '~' : ''}${formatCountShort(total)}`;
}

function partitionLine(p: PartitionProgress, estimate: boolean): Line {
  const total = displayTotal(p);
  return {
    label: `p${p.index}`,
    fraction: sweepFraction(p),
    counts: `${formatCount(p.done)}/${estimate && p.state !== 'completed' ? '~' : ''}${formatCount(total)}`,
    short: shortCounts(p.done, total, estimate && p.state !== 'completed'),
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
    short: shortCounts(data.done, displayTotal(data), data.totalIsEstimate && data.state !== 'completed'),
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
  let exactWidth = 0;
  let shortWidth = 0;
  let infoWidth = 0;
  const format: cliProgress.GenericFormatter = (_options, _params, payload: { line?: Line }) => {
    const l = payload.line;
    if (!l) return '';
    const cols = columns() - 1; // the last column would wrap on some terminals and break redraws
    const counts = cols < 79 ? l.short : l.counts;
    const countsWidth = cols < 79 ? shortWidth : exactWidth;
    // One bar width for all lines so they align; the bar gives way to the info (state, ETA, reason).
    const width = Math.max(6, Math.min(30, cols - labelWidth - 6 - countsWidth - 2 - infoWidth));
    const text = `${truncate(l.label, labelWidth).padEnd(labelWidth)} ${barText(l.fraction, width)} ${formatPercent(l.fraction).padStart(4)} ${counts.padEnd(countsWidth)} ${l.info}`;
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
      exactWidth = Math.max(exactWidth, ...[...lines.values()].map((l) => l.counts.length));
      shortWidth = Math.max(shortWidth, ...[...lines.values()].map((l) => l.short.length));
      infoWidth = Math.min(40, Math.max(infoWidth, ...[...lines.values()].map((l) => [...l.info].length)));
      // A line the frame no longer has (partitions of an earlier frame) goes, rather than stay frozen
      // at its last value under a total that moved on.
      for (const [key, bar] of bars) {
        if (!lines.has(key)) {
          multibar.remove(bar);
          bars.delete(key);
        }
      }
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
    note(text) {
      if (stopped) return;
      multibar.log(`${truncate(text.replace(/[\u0000-\u001f]/g, ' '), columns() - 1)}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multibar.stop();
    },
  };
}
