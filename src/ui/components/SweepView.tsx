import { Box, Text } from 'ink';
import type { PartitionProgress, SweepProgress } from '../../progress.js';
import { formatCount, formatPercent, sweepFraction, displayTotal, truncate, viewSweep } from '../view.js';
import { ProgressBar } from './ProgressBar.js';
import { toneProps } from './tone.js';

export interface SweepViewProps {
  sweep: SweepProgress;
  /** What is being swept, e.g. the entity name. */
  title: string;
  width: number;
  color?: boolean;
  /** Partition rows beyond this collapse into a one-line summary; active ones are kept first. */
  maxPartitions?: number;
}

const STATE_TONE = {
  'not-started': 'dim',
  running: 'active',
  paused: 'warn',
  completed: 'ok',
  failed: 'bad',
} as const;

/** Which partitions get a row: all when they fit, else running/paused/failed first, in index order. */
export function visiblePartitions(partitions: readonly PartitionProgress[], max: number): PartitionProgress[] {
  if (partitions.length <= max) return [...partitions];
  const rank = (p: PartitionProgress) => (p.state === 'completed' || p.state === 'not-started' ? 1 : 0);
  return [...partitions]
    .sort((a, b) => rank(a) - rank(b) || a.index - b.index)
    .slice(0, max)
    .sort((a, b) => a.index - b.index);
}

function partitionCounts(p: PartitionProgress, estimate: boolean): string {
  return `${formatCount(p.done)}/${estimate && p.state !== 'completed' ? '~' : ''}${formatCount(displayTotal(p))}`;
}

interface PartitionRowProps {
  p: PartitionProgress;
  estimate: boolean;
  bar: number;
  labelWidth: number;
  color: boolean;
}

function PartitionRow({ p, estimate, bar, labelWidth, color }: PartitionRowProps) {
  const label = `p${p.index}`.padEnd(labelWidth);
  const fraction = sweepFraction(p);
  const counts = partitionCounts(p, estimate);
  const state = p.state.padEnd(11);
  return (
    <Text wrap="truncate-end">
      {'  '}
      {label}
      <ProgressBar fraction={fraction} width={bar} color={color} />
      <Text> {formatPercent(fraction).padStart(4)} </Text>
      <Text {...toneProps(STATE_TONE[p.state], color)}>{state}</Text>
      <Text> {counts}</Text>
    </Text>
  );
}

/** The attached view of one backfill or verify: totals bar and details, then one mini row per partition. */
export function SweepView({ sweep, title, width, color = true, maxPartitions = 12 }: SweepViewProps) {
  const view = viewSweep(sweep);
  const shown = visiblePartitions(sweep.partitions, maxPartitions);
  const hidden = sweep.partitions.filter((p) => !shown.includes(p));
  const hiddenDone = hidden.filter((p) => p.state === 'completed').length;
  const hiddenWaiting = hidden.length - hiddenDone;
  const bar = Math.max(6, width - 1 - 5 - 1 - view.counts.length);
  // One bar width for every partition row, so the bars line up; counts are cut before bars shrink to 4.
  const widest = Math.max(0, ...shown.map((p) => partitionCounts(p, sweep.totalIsEstimate).length));
  const labelWidth = Math.max(4, ...shown.map((p) => `p${p.index}`.length + 1));
  const partitionBar = Math.max(4, Math.min(20, width - 2 - labelWidth - 6 - 12 - 1 - widest));
  const details = [view.rate, view.stalled ?? (view.eta ? `ETA ${view.eta}` : view.state === 'running' ? 'ETA —' : undefined)]
    .filter((x): x is string => !!x);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold={color}>{truncate(`${view.kind} ${title}`, Math.max(8, width - 14))}</Text>
        <Text> · </Text>
        <Text {...toneProps(STATE_TONE[view.state], color)}>{view.state}</Text>
      </Text>
      <Text wrap="truncate-end">
        <ProgressBar fraction={view.fraction} width={Math.min(bar, 40)} color={color} />
        <Text> {view.percent.padStart(4)} {view.counts}</Text>
      </Text>
      <Text wrap="wrap">
        {details.length > 0 ? `${details.join(' · ')} · ` : ''}
        <Text {...toneProps(view.failures > 0 ? 'bad' : 'dim', color)}>
          {formatCount(view.failures)} {view.failures === 1 ? 'failure' : 'failures'}
        </Text>
        {view.mismatches !== undefined ? (
          <Text {...toneProps(view.mismatches > 0 ? 'bad' : 'dim', color)}>
            {' · '}
            {formatCount(view.mismatches)} differ so far
          </Text>
        ) : null}
      </Text>
      {view.status ? (
        <Text wrap="wrap" {...toneProps(view.status.tone, color)}>
          {view.status.text}
        </Text>
      ) : null}
      {shown.map((p) => (
        <PartitionRow key={p.index} p={p} estimate={sweep.totalIsEstimate} bar={partitionBar} labelWidth={labelWidth} color={color} />
      ))}
      {hidden.length > 0 ? (
        <Text {...toneProps('dim', color)}>
          {'  '}+{hidden.length} more: {hiddenDone} completed, {hiddenWaiting} waiting
        </Text>
      ) : null}
    </Box>
  );
}
