/** Mounting the live dashboard on a real terminal stream. */
import { render } from 'ink';
import { DashboardApp, type DashboardAppProps } from './DashboardApp.js';

export interface DashboardHandle {
  /** Removes the dashboard from the screen and releases stdin; the work it showed keeps running. */
  unmount(): void;
  /** Resolves once the dashboard has gone (q, Ctrl-C or unmount). */
  waitUntilExit(): Promise<unknown>;
}

export interface RenderDashboardOptions {
  /** Where keys come from; process.stdin unless a test supplies its own. */
  stdin?: NodeJS.ReadStream;
  /** Route console.* above the dashboard (Ink's default, on); off where console is not Node's own. */
  patchConsole?: boolean;
}

/**
 * Draws the dashboard on `stream` (stderr, so stdout stays pipeable) reading keys from stdin.
 * Ctrl-C reaches the app as a key (detach), so Ink's own Ctrl-C exit is off.
 */
export function renderDashboard(
  stream: NodeJS.WriteStream,
  props: DashboardAppProps,
  options: RenderDashboardOptions = {},
): DashboardHandle {
  const instance = render(<DashboardApp {...props} />, {
    stdout: stream,
    stdin: options.stdin ?? process.stdin,
    exitOnCtrlC: false,
    patchConsole: options.patchConsole ?? true,
  });
  // Ink's exit promise only settles if it was asked for before the unmount: ask now.
  const exited = instance.waitUntilExit();
  return { unmount: () => instance.unmount(), waitUntilExit: () => exited };
}
