import { Text } from 'ink';
import { toneProps } from './tone.js';

export interface ProgressBarProps {
  /** Share done; clamped to [0, 1] so an estimate that ran low never draws past the end. */
  fraction: number;
  /** Columns the bar occupies, exactly. */
  width: number;
  color?: boolean;
}

const FULL = '█';
const EMPTY = '░';

/** The bar as plain text: exactly `width` cells, full only at fraction 1. */
export function barText(fraction: number, width: number): string {
  const w = Math.max(0, Math.floor(width));
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  // Floor, so a bar looks complete only when the work is.
  const filled = f >= 1 ? w : Math.min(w - 1, Math.floor(f * w));
  return FULL.repeat(Math.max(0, filled)) + EMPTY.repeat(w - Math.max(0, filled));
}

/** A fixed-width bar; uses block glyphs, not colour, so it reads the same with NO_COLOR. */
export function ProgressBar({ fraction, width, color = true }: ProgressBarProps) {
  const text = barText(fraction, width);
  const filled = text.indexOf(EMPTY) === -1 ? text.length : text.indexOf(EMPTY);
  return (
    <Text>
      <Text {...toneProps(fraction >= 1 ? 'ok' : 'active', color)}>{text.slice(0, filled)}</Text>
      <Text {...toneProps('dim', color)}>{text.slice(filled)}</Text>
    </Text>
  );
}
