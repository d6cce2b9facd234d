/**
 * Tone → Ink text props. With colour off this returns no props at all, so NO_COLOR output carries
 * no styling escape codes whatever the terminal supports.
 */
import type { TextProps } from 'ink';
import type { Tone } from '../view.js';

const TONE_PROPS: Record<Tone, TextProps> = {
  normal: {},
  active: { color: 'cyan' },
  ok: { color: 'green' },
  warn: { color: 'yellow' },
  bad: { color: 'red' },
  dim: { dimColor: true },
};

/** Ink `<Text>` props for a tone; empty when colour is off. */
export function toneProps(tone: Tone, color: boolean): TextProps {
  return color ? TONE_PROPS[tone] : {};
}
