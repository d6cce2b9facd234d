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
    const say = onceEvery(30_000);
    return {
      update: (p) => {
        say.reset();
        bar.update(p);
      },
      unreachable: (e) => {
        if (say.due(e.message)) bar.note(`${label}: ${secrets.redact(e.message)}; retrying`);
      },
      stop: () => bar.stop(),
    };
  }
  const plain = createPlainRenderer(stderr);
  const say = onceEvery(30_000);
  return {
    update: (p) => {
      say.reset();
      plain.update(p, label);
    },
    unreachable: (e) => {
      // The error names the system that did not answer (Temporal or the state store).
      if (say.due(e.message)) ctx.output.err(`${new Date().toISOString()} ${label}: ${secrets.redact(e.message)}; retrying`);
    },
    stop: () => undefined,
  };
}

/** Says a problem once, and again every `ms` while it lasts: a log of identical lines hides what changed. */
function onceEvery(ms: number) {
  let last = '';
  let at = 0;
  return {
    due(message: string): boolean {
      if (message === last && Date.now() - at < ms) return false;
      last = message;
      at = Date.now();
      return true;
    },
    reset(): void {
      last = '';
    },
  };
}
