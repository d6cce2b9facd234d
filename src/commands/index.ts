/** Every command of the CLI, registered in this order. */
import type { Command } from 'commander';
import type { CommandContext } from '../cli/context.js';
import plan from './plan.js';
import flags from './flags.js';
import audit from './audit.js';
import backfill from './backfill.js';
import worker from './worker.js';
import failures from './failures.js';
import retry from './retry.js';
import status from './status.js';
import verify from './verify.js';
import sync from './sync.js';
import local from './local.js';
import consumer from './consumer.js';
import cutover from './cutover.js';
import retire from './retire.js';
import run from './run.js';

/** A command file's default export: adds its subcommand to the program and returns it. */
export type RegisterCommand = (program: Command, context: () => CommandContext) => Command;

export const commands: RegisterCommand[] = [plan, run, status, backfill, sync, verify, cutover, retire, worker, failures, retry, flags, consumer, audit, local];
