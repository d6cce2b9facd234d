/**
 * The hand-written loop as a user runs it: a script in a process of its own, started fresh, so its
 * JIT and heap start as cold as a newly started `migrate worker`'s. The benchmarks' cold rounds
 * compare the two that way; running the loop inside the long-lived bench process instead would give
 * it the code and heap warmed by seeding (the same drivers) and earlier rounds.
 *
 * As a script (`node --import tsx bench/lib/handLoopProcess.ts '<options JSON>'`) it runs the copy or
 * the read-and-compare once and prints one JSON line: its result, wall ms, its own CPU seconds (all
 * threads) and peak RSS. Timing starts when the loop is called, after the modules are loaded, as the
 * backfill's starts at its start request with the worker already up.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { handLoop, handVerifyLoop, type HandLoopOptions } from './handLoop.js';

export interface HandProcessRun<T> {
  value: T;
  ms: number;
  cpuSeconds: number;
  peakRss: number;
}

type Kind = 'copy' | 'verify';
type ResultOf<K extends Kind> = K extends 'copy' ? number : { compared: number; differing: number };

/** Runs the loop once in a new node process and answers what it measured. */
export function runHandLoopProcess<K extends Kind>(kind: K, options: HandLoopOptions): Promise<HandProcessRun<ResultOf<K>>> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify({ kind, options })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the hand-written ${kind} loop's process exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as HandProcessRun<ResultOf<K>>);
      } catch (e) {
        reject(new Error(`the hand-written ${kind} loop's process printed no result: ${out}`, { cause: e }));
      }
    });
  });
}

async function main(arg: string): Promise<void> {
  const { kind, options } = JSON.parse(arg) as { kind: Kind; options: HandLoopOptions };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = kind === 'copy' ? await handLoop(options) : await handVerifyLoop(options);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // maxRSS is in kilobytes.
  const run: HandProcessRun<unknown> = { value, ms, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRss: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv[2]!);
