/** The commander program: global options and one registration per command file in src/commands. */
import { Command, Option } from 'commander';
import { createOutput } from '../cli/output.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { commands } from '../commands/index.js';

export function buildProgram(): Command {
  const program = new Command('migrate')
    .description('Move the source of truth of business entities from a legacy SQL database to a new service, the tracer-write way.')
    .version('0.1.0')
    .addOption(new Option('--plan <file>', 'plan file (default: $MIGRATE_PLAN, else the path in .migrate/default-plan, else the only file in plans/)'))
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
    checkRequiredAfterUnknown(cmd);
  }
  return program;
}

/**
 * commander checks required options before unknown ones, so `backfill --entiy orders` would say only
 * that --entity is missing. Checked in a preAction hook instead (hooks run after the unknown-option
 * check), the typo gets "unknown option '--entiy' (Did you mean --entity?)", and a missing option
 * still gets commander's own "required option … not specified".
 */
function checkRequiredAfterUnknown(cmd: Command): void {
  const required = cmd.options.filter((o) => o.mandatory);
  for (const o of required) o.mandatory = false;
  if (required.length > 0) {
    cmd.hook('preAction', () => {
      const missing = required.find((o) => cmd.getOptionValue(o.attributeName()) === undefined);
      if (missing) cmd.error(`error: required option '${missing.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
    });
  }
  for (const sub of cmd.commands) checkRequiredAfterUnknown(sub);
}
