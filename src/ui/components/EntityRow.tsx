import { Box, Text } from 'ink';
import type { EntityStatus } from '../../progress.js';
import { formatCount, truncate, viewEntity, type SweepView } from '../view.js';
import { ProgressBar } from './ProgressBar.js';
import { toneProps } from './tone.js';

/** An operator action sent but not yet visible in a snapshot. */
export type PendingAction = 'pausing' | 'resuming';

export interface EntityRowProps {
  status: EntityStatus;
  /** Total columns available; every line fits inside them. */
  width: number;
  /** Columns for the name, shared by all rows so bars line up; defaults to the name's length. */
  nameWidth?: number;
  selected?: boolean;
  pending?: PendingAction;
  color?: boolean;
}

const PHASE_WIDTH = 11; // "backfilling", the longest phase that has a bar
const PERCENT_WIDTH = 4;
const MIN_BAR = 6;
const INDENT = 4;

/** Column split for line one: marker, name, phase, bar, percent; the bar takes what is left. */
export function rowLayout(width: number, wantedName: number): { name: number; bar: number } {
  const fixed = 2 + 1 + PHASE_WIDTH + 1 + 1 + PERCENT_WIDTH;
  let name = Math.max(4, wantedName);
  if (width - fixed - name < MIN_BAR) name = Math.max(4, width - fixed - MIN_BAR);
  return { name, bar: Math.max(MIN_BAR, width - fixed - name) };
}

function details(sweep: SweepView): { text: string; tone: 'normal' | 'bad' | 'dim' }[] {
  const parts: { text: string; tone: 'normal' | 'bad' | 'dim' }[] = [
    { text: `${sweep.kind} ${sweep.counts}`, tone: 'normal' },
  ];
  if (sweep.rate) parts.push({ text: sweep.rate, tone: 'normal' });
  // ETA is left out, not shown as 0 or a guess, until the rate window has enough data.
  if (sweep.stalled) parts.push({ text: sweep.stalled, tone: 'bad' });
  else if (sweep.eta) parts.push({ text: `ETA ${sweep.eta}`, tone: 'normal' });
  else if (sweep.state === 'running') parts.push({ text: 'ETA —', tone: 'dim' });
  parts.push({
    text: `${formatCount(sweep.failures)} ${sweep.failures === 1 ? 'failure' : 'failures'}`,
    tone: sweep.failures > 0 ? 'bad' : 'dim',
  });
  if (sweep.mismatches !== undefined) {
    parts.push({ text: `${formatCount(sweep.mismatches)} differ so far`, tone: sweep.mismatches > 0 ? 'bad' : 'dim' });
  }
  return parts;
}

/** One entity: phase and bar, counts/rate/ETA/failures, why it waits or stopped, last verification, link, next step. */
export function EntityRow({ status, width, nameWidth, selected = false, pending, color = true }: EntityRowProps) {
  const view = viewEntity(status);
  const layout = rowLayout(width, nameWidth ?? [...view.entity].length);
  const marker = selected ? '▸ ' : '  ';
  const name = truncate(view.entity, layout.name).padEnd(layout.name);
  const phase = truncate(view.phase.text, PHASE_WIDTH).padEnd(PHASE_WIDTH);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text {...toneProps('active', color)}>{marker}</Text>
        <Text bold={color && selected} inverse={color && selected}>
          {name}
        </Text>
        <Text> </Text>
        <Text {...toneProps(view.phase.tone, color)}>{phase}</Text>
        {view.sweep ? (
          <>
            <Text> </Text>
            <ProgressBar fraction={view.sweep.fraction} width={layout.bar} color={color} />
            <Text> {view.sweep.percent.padStart(PERCENT_WIDTH)}</Text>
          </>
        ) : null}
      </Text>
      <Box flexDirection="column" paddingLeft={INDENT} width={width}>
        {view.sweep ? (
          <Text wrap="wrap">
            {details(view.sweep).map((p, i) => (
              <Text key={i}>
                {i > 0 ? ' · ' : ''}
                <Text {...toneProps(p.tone, color)}>{p.text}</Text>
              </Text>
            ))}
          </Text>
        ) : null}
        {pending ? <Text {...toneProps('warn', color)}>{pending}…</Text> : null}
        {view.status ? (
          <Text wrap="wrap" {...toneProps(view.status.tone, color)}>
            {view.status.text}
          </Text>
        ) : null}
        {view.verification ? (
          <Text wrap="wrap">
            <Text {...toneProps('dim', color)}>last verify </Text>
            <Text {...toneProps(view.verification.tone, color)}>{view.verification.text}</Text>
          </Text>
        ) : null}
        {view.sync ? (
          <Text wrap="wrap" {...toneProps(view.sync.tone, color)}>
            {view.sync.text}
          </Text>
        ) : null}
        {view.cutover ? (
          <Text wrap="wrap" {...toneProps(view.cutover.tone, color)}>
            {view.cutover.text}
          </Text>
        ) : null}
        {view.reverseSync ? (
          <Text wrap="wrap" {...toneProps(view.reverseSync.tone, color)}>
            {view.reverseSync.text}
          </Text>
        ) : null}
        {view.run ? (
          <Text wrap="wrap" {...toneProps(view.run.tone, color)}>
            {view.run.text}
          </Text>
        ) : null}
        {view.workflowUrl ? (
          // A URL is wrapped, never truncated: a cut link is worse than a long one.
          <Text wrap="wrap" {...toneProps('dim', color)}>
            workflow {view.workflowUrl}
          </Text>
        ) : null}
        {view.next ? <Text wrap="wrap">next: {view.next}</Text> : null}
      </Box>
    </Box>
  );
}
