/**
 * Parses argv, runs one command, and turns what it threw into an exit code and a message:
 * 0 ok, 1 a problem found, 2 invalid input, 3 environment, 70 a bug (with where to report it).
 */
import { CommanderError } from 'commander';
import { BUG_REPORT_URL, ChildProcessExit, MAX_PRINTED_PROBLEMS, MigrateError, formatProblem } from '../errors.js';
import { secrets } from '../secrets.js';
import { buildProgram } from './program.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    return reportError(e, argv.includes('--verbose'));
  }
}

function write(text: string): void {
  process.stderr.write(secrets.redact(text) + '\n');
}

/** With --verbose, what lies under an error: its causes, redacted. */
function writeCauses(e: unknown): void {
  let cause = (e as { cause?: unknown }).cause;
  for (let depth = 0; cause && depth < 5; depth++) {
    write(`  caused by: ${cause instanceof Error ? cause.message : String(cause)}`);
    cause = (cause as { cause?: unknown }).cause;
  }
}

function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof CommanderError) {
    // commander has already printed its message (usage errors, --help, --version).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2;
  }
  if (e instanceof ChildProcessExit) return e.exitCode;
  if (e instanceof MigrateError) {
    write(`error: ${e.message}`);
    // Thousands of problems help no one and scroll the first ones away: the first few, then a count.
    for (const p of e.problems.slice(0, MAX_PRINTED_PROBLEMS)) write(formatProblem(p));
    const more = e.problems.length - MAX_PRINTED_PROBLEMS;
    if (more > 0) write(`  … and ${more.toLocaleString('en-US')} more problem${more === 1 ? '' : 's'} (fix these first and run again to see them)`);
    if (e.hint) write(`hint: ${e.hint}`);
    if (verbose) writeCauses(e);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  write(`internal error: ${err.message}`);
  write(err.stack?.split('\n').slice(1, 6).join('\n') ?? '');
  write(`This is a bug in migrate. Please report it at ${BUG_REPORT_URL} with the command you ran.`);
  return 70;
}
