/** A small valid plan as text, with hooks to vary one part per test. */
import { readFileSync } from 'node:fs';

export const MINIMAL_PLAN = readFileSync(new URL('../../fixtures/plans/valid/minimal.yaml', import.meta.url), 'utf8');

/** The minimal plan with `from` replaced by `to` (which must occur in it). */
export function planWith(from: string, to: string): string {
  if (!MINIMAL_PLAN.includes(from)) throw new Error(`the minimal plan has no ${JSON.stringify(from)}`);
  // A function, so `$$` in `to` stays `$$` (a string replacement would make it `$`).
  return MINIMAL_PLAN.replace(from, () => to);
}

/** The UserError thrown by `fn`, or a failure when it returns. */
export function thrown(fn: () => unknown): { message: string; problems: { where: string; path?: string; message: string; hint?: string }[]; exitCode: number; hint?: string } {
  try {
    fn();
  } catch (e) {
    return e as never;
  }
  throw new Error('expected an error, but the plan was accepted');
}
