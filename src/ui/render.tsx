/** Mounting the live dashboard on a real terminal stream. */
import { render } from 'ink';
import { DashboardApp, type DashboardAppProps } from './DashboardApp.js';

export interface DashboardHandle {
  /** Removes the dashboard from the screen and releases stdin; the work it showed keeps running. */
  unmount(): void;
  /** Resolves once the dashboard has gone (q, Ctrl-C or unmount). */
  waitUntilExit(): Promise<unknown>;
}

/**
 * Draws the dashboard on `stream` (stderr, so stdout stays pipeable) reading keys from process.stdin.
 * Ctrl-C reaches the app as a key (detach), so Ink's own Ctrl-C exit is off.
 */
export function renderDashboard(stream: NodeJS.WriteStream, props: DashboardAppProps): DashboardHandle {
  const instance = render(<DashboardApp {...props} />, {
    stdout: stream,
    stdin: process.stdin,
    exitOnCtrlC: false,
  });
  return { unmount: () => instance.unmount(), waitUntilExit: () => instance.waitUntilExit() };
}
