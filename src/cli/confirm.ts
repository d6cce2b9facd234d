/** Asking before a destructive step: one question on the terminal, refused without one unless --yes. */
import { createInterface } from 'node:readline/promises';
import { UserError } from '../errors.js';
import type { CommandContext } from './context.js';

/** True when the operator answers yes on the terminal. */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: ctx.output.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Throws before anything is done when a step needs confirmation but there is no terminal to ask on. */
export function assertCanConfirm(what: string, opts: { yes?: boolean; dryRun?: boolean }, dryRunHint: string): void {
  if (opts.yes || opts.dryRun || process.stdin.isTTY) return;
  throw new UserError(`${what} needs confirmation, but there is no terminal to ask on`, { hint: `Pass --yes to go ahead without asking, or ${dryRunHint}.` });
}
