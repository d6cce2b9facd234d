import { Text } from 'ink';
import { toneProps } from './tone.js';

export interface ProgressBarProps {
  /** Share done; clamped to [0, 1] so an estimate that ran low never draws past the end. */
  fraction: number;
  /** Columns the bar occupies, exactly. */
  width: number;
  color?: boolean;
}

import { BAR_EMPTY as EMPTY, barText } from './barText.js';

export { barText };


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
