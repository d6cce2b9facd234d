/**
 * How the demo talks: plain-words narration on stderr, and the real `migrate` CLI (bin/migrate.js,
 * what `npx migrate` runs in this folder) run attached to the terminal so its progress UI shows,
 * each run bounded: a command that does not finish in time is detached (SIGINT, as Ctrl-C would)
 * and the demo stops saying what it waited for.
 */
import { spawn } from 'node:child_process';

/** Ends the demo with a message that says what did not happen and where to look. */
export class DemoStop extends Error {}

export interface DemoCli {
  /** A heading for the next step, in plain words. */
  step(title: string, explanation?: string): void;
  /** A line of narration. */
  say(text: string): void;
  /** `migrate <args>` attached to the terminal; resolves with its exit code. Refuses to wait more than `limitMs`. */
  run(args: string[], o?: { limitMs?: number; waitingFor?: string }): Promise<number>;
  /** `migrate <args>` attached, and a DemoStop when it does not exit 0. */
  must(args: string[], o?: { limitMs?: number; waitingFor?: string }): Promise<void>;
  /** `migrate --json <args>` quietly (a query the demo reads, not a step it shows); its stdout parsed. */
  json<T>(args: string[], o?: { limitMs?: number }): Promise<T>;
  /** Any other program attached (e.g. `npm run history:check`), shown as `display`. */
  program(command: string, args: string[], display: string, o?: { limitMs?: number; env?: NodeJS.ProcessEnv }): Promise<number>;
}

const BIN = 'bin/migrate.js';

/** `promise`, or a DemoStop naming `what` when it has not settled within `ms`. */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DemoStop(`${what} did not happen within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export function demoCli(env: NodeJS.ProcessEnv): DemoCli {
  let steps = 0;
  const err = (text: string) => process.stderr.write(`${text}\n`);

  const attached = (command: string, args: string[], display: string, limitMs: number, waitingFor: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<number> => {
    err(`\n$ ${display}`);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: 'inherit', env: { ...env, ...extraEnv } });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        err(`\n[demo] ${waitingFor} did not finish within ${Math.round(limitMs / 1000)} s: detaching from it (SIGINT, as Ctrl-C would).`);
        child.kill('SIGINT');
      }, limitMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) reject(new DemoStop(`${waitingFor} did not finish within ${Math.round(limitMs / 1000)} s (the command is \`${display}\`).`));
        else resolve(code ?? (signal ? 128 : 1));
      });
    });
  };

  const cli: DemoCli = {
    step(title, explanation) {
      steps += 1;
      err(`\n━━ ${steps}. ${title} ━━`);
      if (explanation) err(explanation);
    },
    say: (text) => err(text),
    run(args, o = {}) {
      return attached(process.execPath, [BIN, ...args], `migrate ${args.join(' ')}`, o.limitMs ?? 180_000, o.waitingFor ?? `\`migrate ${args.join(' ')}\``);
    },
    async must(args, o = {}) {
      const code = await cli.run(args, o);
      if (code !== 0) throw new DemoStop(`\`migrate ${args.join(' ')}\` exited with ${code}.`);
    },
    json<T>(args: string[], o: { limitMs?: number } = {}): Promise<T> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const limitMs = o.limitMs ?? 60_000;
        const timer = setTimeout(() => child.kill('SIGINT'), limitMs);
        child.once('error', reject);
        child.once('close', (code) => {
          clearTimeout(timer);
          if (code !== 0) return reject(new DemoStop(`\`migrate --json ${args.join(' ')}\` exited with ${code}: ${stderr.trim()}`));
          try {
            resolve(JSON.parse(stdout) as T);
          } catch {
            reject(new DemoStop(`\`migrate --json ${args.join(' ')}\` printed no JSON: ${stdout.slice(0, 200)}`));
          }
        });
      });
    },
    program(command, args, display, o = {}) {
      return attached(command, args, display, o.limitMs ?? 120_000, `\`${display}\``, o.env);
    },
  };
  return cli;
}
