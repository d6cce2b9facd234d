/** What every command gets: the resolved global options and the output. */
import type { Output } from './output.js';

export interface GlobalOptions {
  plan?: string;
  json: boolean;
  color: boolean;
  verbose: boolean;
}

export interface CommandContext {
  options: GlobalOptions;
  output: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
}
