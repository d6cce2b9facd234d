/**
 * Where commands put what they say. stdout carries results (pipeable); stderr carries progress and
 * errors. Every string passes through the secret registry on its way out.
 */
import { secrets } from '../secrets.js';

export interface OutputOptions {
  json: boolean;
  color: boolean;
  verbose: boolean;
}

export interface Output extends OutputOptions {
  /** A result line on stdout. */
  out(text: string): void;
  /** A JSON document on stdout. */
  outJson(value: unknown): void;
  /** A progress or info line on stderr. */
  err(text: string): void;
  /** Only with --verbose, on stderr. */
  debug(text: string): void;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export function createOutput(opts: OutputOptions, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    ...opts,
    stdout,
    stderr,
    out: (text) => void stdout.write(secrets.redact(text) + '\n'),
    outJson: (value) => void stdout.write(secrets.redact(JSON.stringify(value, null, 2)) + '\n'),
    err: (text) => void stderr.write(secrets.redact(text) + '\n'),
    debug: (text) => {
      if (opts.verbose) stderr.write(secrets.redact(text) + '\n');
    },
  };
}
