/**
 * Picks how a command shows a sweep's progress: cli-progress bars on a terminal, plain timestamped
 * lines when stderr is not one (CI logs), NDJSON on stdout with --json.
 */
// Renderers by file, not through ui/index: that would load Ink (slow to import) for every command.
import { chooseRenderer, isCi, type ProgressOption } from '../ui/renderers/choose.js';
import { createBarRenderer } from '../ui/renderers/bar.js';
import { createPlainRenderer } from '../ui/renderers/plain.js';
import { renderJsonLine } from '../ui/renderers/json.js';
import type { ProgressSink } from '../ops/follow.js';
import type { CommandContext } from './context.js';
import { secrets } from '../secrets.js';

export function createProgressSink(ctx: CommandContext, progress: ProgressOption, label: string): ProgressSink {
  const stderr = ctx.output.stderr;
  const mode = chooseRenderer({ isTTY: Boolean(stderr.isTTY), json: ctx.options.json, progress, ci: isCi(ctx.env) });
  if (mode === 'json') {
    return {
      update: (p) => void ctx.output.stdout.write(secrets.redact(renderJsonLine(p as never)) + '\n'),
      stop: () => undefined,
    };
  }
  if (mode === 'bar' || mode === 'ink') {
    const bar = createBarRenderer(stderr);
    return {
      update: (p) => bar.update(p),
      unreachable: () => undefined,
      stop: () => bar.stop(),
    };
  }
  const plain = createPlainRenderer(stderr);
  let lastProblem = '';
  let lastProblemAt = 0;
  return {
    update: (p) => {
      lastProblem = '';
      plain.update(p, label);
    },
    unreachable: (e) => {
      // Say it once, and again every 30 s while it lasts: a log of identical lines hides what changed.
      if (e.message === lastProblem && Date.now() - lastProblemAt < 30_000) return;
      lastProblem = e.message;
      lastProblemAt = Date.now();
      const why = /Failed to query/i.test(e.message) ? 'no worker answered the progress query — is a `migrate worker` running for this task queue?' : e.message;
      ctx.output.err(`${new Date().toISOString()} ${label}: Temporal did not answer (${why}); retrying`);
    },
    stop: () => undefined,
  };
}
