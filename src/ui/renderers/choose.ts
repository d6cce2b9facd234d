/** Which progress renderer a command uses, from the terminal and the flags the user gave. */

export type ProgressOption = 'auto' | 'bar' | 'plain' | 'ink';
export type RendererMode = 'ink' | 'bar' | 'plain' | 'json';

export interface ChooseRendererInput {
  /** Whether the progress stream (stderr) is a terminal. */
  isTTY: boolean;
  /** --json: machines read NDJSON, whatever --progress says. */
  json: boolean;
  progress: ProgressOption;
}

/**
 * --json wins; otherwise the requested mode, except that cursor-drawing modes (ink, bar) fall back
 * to plain lines when the stream is not a terminal, where they would fill logs with escape codes.
 */
export function chooseRenderer({ isTTY, json, progress }: ChooseRendererInput): RendererMode {
  if (json) return 'json';
  if (progress === 'plain' || !isTTY) return 'plain';
  if (progress === 'bar') return 'bar';
  return 'ink';
}
