import { Box, Text } from 'ink';
import type { DashboardSnapshot } from '../../progress.js';
import { clean, clock, truncate } from '../view.js';
import { EntityRow, type PendingAction } from './EntityRow.js';
import { toneProps } from './tone.js';

export interface DashboardProps {
  /** Absent until the first poll answers. */
  snapshot?: DashboardSnapshot;
  /** Entity name of the highlighted row. */
  selected?: string;
  width: number;
  color?: boolean;
  /** Actions sent per entity, shown until a newer snapshot arrives. */
  pending?: Readonly<Record<string, PendingAction>>;
  /** A failed operator action, shown above the legend. */
  error?: string;
  /** The source did not answer the last poll (before any snapshot, or beyond what it reports). */
  reconnecting?: boolean;
  /** Why the last poll failed (which system did not answer), shown in the banner. */
  reconnectReason?: string;
}

export const KEY_LEGEND = '↑/↓ select · p pause/resume · q detach';
const MAX_NAME = 20;

/**
 * The whole-plan screen: header, reconnecting banner, one row per entity, key legend.
 * Finished entities are redrawn, not moved into <Static>: the selection must be able to reach them.
 */
export function Dashboard({ snapshot, selected, width, color = true, pending = {}, error, reconnecting = false, reconnectReason }: DashboardProps) {
  const showBanner = reconnecting || snapshot?.connection === 'reconnecting';
  const nameWidth = Math.min(
    MAX_NAME,
    Math.max(4, ...(snapshot?.entities ?? []).map((e) => [...clean(e.entity)].length)),
  );
  return (
    <Box flexDirection="column" width={width}>
      {snapshot ? (
        <Text wrap="truncate-end">
          <Text bold={color}>{truncate(`plan ${clean(snapshot.plan)}`, Math.max(8, width - 18))}</Text>
          <Text {...toneProps('dim', color)}> · as of {clock(snapshot.takenAt)}</Text>
        </Text>
      ) : showBanner ? null : (
        <Text {...toneProps('dim', color)}>connecting…</Text>
      )}
      {showBanner ? (
        <Text wrap="wrap" {...toneProps('warn', color)}>
          ⚠ reconnecting… {snapshot ? `showing data from ${clock(snapshot.takenAt)}` : 'no data yet'}
          {reconnectReason ? ` — ${clean(reconnectReason)}` : ''}
        </Text>
      ) : null}
      {snapshot?.message ? <Text wrap="wrap">{clean(snapshot.message)}</Text> : null}
      {snapshot && snapshot.entities.length === 0 ? (
        <Text {...toneProps('dim', color)}>no entities in this plan</Text>
      ) : null}
      {(snapshot?.entities ?? []).map((e) => (
        <Box key={e.entity} marginTop={1}>
          <EntityRow
            status={e}
            width={width}
            nameWidth={nameWidth}
            selected={e.entity === selected}
            color={color}
            {...(pending[e.entity] ? { pending: pending[e.entity] } : {})}
          />
        </Box>
      ))}
      {error ? (
        <Box marginTop={1}>
          <Text wrap="wrap" {...toneProps('bad', color)}>
            {clean(error)}
          </Text>
        </Box>
      ) : null}
      <Box marginTop={1}>
        <Text wrap="truncate-end" {...toneProps('dim', color)}>
          {KEY_LEGEND}
        </Text>
      </Box>
    </Box>
  );
}
