/** Which progress renderer a command uses, from the terminal and the flags the user gave. */

export type ProgressOption = 'auto' | 'bar' | 'plain' | 'ink';
export type RendererMode = 'ink' | 'bar' | 'plain' | 'json';

export interface ChooseRendererInput {
  /** Whether the progress stream (stderr) is a terminal. */
  isTTY: boolean;
  /** --json: machines read NDJSON, whatever --progress says. */
  json: boolean;
  progress: ProgressOption;
  /** Running under CI (see `isCi`): Ink then draws only its last frame, at exit. */
  ci?: boolean;
}

/**
 * --json wins; otherwise the requested mode, except that cursor-drawing modes (ink, bar) fall back
 * to plain lines when the stream is not a terminal, where they would fill logs with escape codes,
 * and Ink falls back to plain under CI, where it would show nothing until the end.
 */
export function chooseRenderer({ isTTY, json, progress, ci = false }: ChooseRendererInput): RendererMode {
  if (json) return 'json';
  if (progress === 'plain' || !isTTY) return 'plain';
  if (progress === 'bar') return 'bar';
  return ci ? 'plain' : 'ink';
}

/** Ink's own CI test (is-in-ci): CI or CONTINUOUS_INTEGRATION present and not "0"/"false" — even empty. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const on = (key: string) => key in env && env[key] !== '0' && env[key] !== 'false';
  return on('CI') || on('CONTINUOUS_INTEGRATION');
}
