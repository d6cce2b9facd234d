/** The commander program: global options and one registration per command file in src/commands. */
import { Command, Option } from 'commander';
import { createOutput } from '../cli/output.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { commands } from '../commands/index.js';

export function buildProgram(): Command {
  const program = new Command('migrate')
    .description('Move the source of truth of business entities from a legacy SQL database to a new service, the tracer-write way.')
    .version('0.1.0')
    .addOption(new Option('--plan <file>', 'plan file (default: $MIGRATE_PLAN, else the only file in plans/)'))
    .option('--json', 'machine-readable output on stdout', false)
    .option('--no-color', 'no colours (also NO_COLOR)')
    .option('--verbose', 'more detail on stderr', false)
    .exitOverride()
    .showHelpAfterError();

  const context = (): CommandContext => {
    const raw = program.opts<{ plan?: string; json: boolean; color: boolean; verbose: boolean }>();
    const options: GlobalOptions = {
      plan: raw.plan,
      json: raw.json,
      color: raw.color && !process.env.NO_COLOR,
      verbose: raw.verbose,
    };
    return { options, output: createOutput(options), env: process.env, cwd: process.cwd() };
  };

  for (const register of commands) {
    const cmd = register(program, context);
    cmd.exitOverride();
  }
  return program;
}
