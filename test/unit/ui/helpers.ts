import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

/** Renders once and returns the frame, unmounting so no Ink instance outlives the test. */
export function frameOf(tree: ReactElement): string {
  const r = render(tree);
  const frame = r.lastFrame() ?? '';
  r.unmount();
  return frame;
}

/** Lets React effects (useInput's listener, the first poll) and promise callbacks run. */
export async function settle(ms = 20): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls a condition with real timers; fails with the last frame to show what was on screen instead. */
export async function waitFor(check: () => boolean, describe: () => string, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting; screen was:\n${describe()}`);
    await settle(10);
  }
}

export const ESC = /\u001b/;

/** Display columns of each line, counting code points (every glyph the UI uses is one column wide). */
export function lineWidths(frame: string): number[] {
  return frame.split('\n').map((l) => [...l].length);
}

/** The frame with wrapped lines joined, for asserting on wording regardless of where Ink wrapped. */
export function flat(frame: string): string {
  return frame.replace(/\n\s*/g, ' ');
}
