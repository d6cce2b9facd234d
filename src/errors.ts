/**
 * Typed errors. Every error the user can act on says what happened and what to do next;
 * `bin/migrate.js` maps the class to an exit code. The core throws, it never exits or prints.
 */

export type ExitCode = 0 | 1 | 2 | 3 | 70;

/** Base for every error that is the user's to act on (not a bug). */
export abstract class MigrateError extends Error {
  abstract readonly exitCode: ExitCode;
  /** What to do next, one or two sentences. */
  readonly hint: string | undefined;
  /** Individual problems when several were collected (plan validation, preflight). */
  readonly problems: readonly Problem[];

  constructor(message: string, options: { hint?: string; problems?: readonly Problem[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }
}

/** One collected problem, positioned in a file where it has a position. */
export interface Problem {
  /** e.g. `plans/orders.yaml:12:5`, or a system name such as `sources.legacy`. */
  where: string;
  /** Dotted path of the plan field, when the problem is about one. */
  path?: string;
  message: string;
  hint?: string;
}

/** Exit 1: the operation ran and found a problem (a failed verification, a failed gate). */
export class ProblemFoundError extends MigrateError {
  readonly exitCode = 1 as const;
}

/** Exit 2: invalid input — plan file, flags, arguments. */
export class UserError extends MigrateError {
  readonly exitCode = 2 as const;
}

/** Exit 3: the environment is not as needed — a database, Temporal or the service cannot be reached or used. */
export class EnvironmentError extends MigrateError {
  readonly exitCode = 3 as const;
}

/**
 * The command ran again in a child process (a worker under its heap cap), which has already printed
 * whatever went wrong: the parent ends with the child's exit code and prints nothing more.
 */
export class ChildProcessExit extends Error {
  constructor(readonly exitCode: number) {
    super(`the child process exited with code ${exitCode}`);
    this.name = 'ChildProcessExit';
  }
}

/** Problems printed for one error; the rest are counted ("and N more"). */
export const MAX_PRINTED_PROBLEMS = 50;

export function formatProblem(p: Problem): string {
  const path = p.path ? ` ${p.path}:` : '';
  const hint = p.hint ? `\n    hint: ${p.hint}` : '';
  return `  ${p.where}${path} ${p.message}${hint}`;
}

export const BUG_REPORT_URL = 'https://github.com/tracer-migrate/tracer/issues';
