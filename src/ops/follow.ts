/**
 * Following a running sweep: poll its progress at most once a second and hand each snapshot to a
 * sink, until it completes or fails, or the caller detaches. Detaching never stops the work.
 */
import type { SweepProgress } from '../progress.js';
import { sleepUnlessAborted } from './sleepUnlessAborted.js';

export interface ProgressSink {
  update(progress: SweepProgress): void;
  /** Temporal did not answer this time; the sink may say "reconnecting". */
  unreachable?(error: Error): void;
  stop(): void;
}

export interface FollowOptions {
  intervalMs?: number;
  /** Abort to detach. */
  signal?: AbortSignal;
  /** Also stop following when the sweep stays paused (e.g. non-interactive runs that should not wait). */
  stopWhenPaused?: boolean;
  /**
   * How long a pause must last before `stopWhenPaused` stops: a sweep just resumed (flag turned on,
   * signal sent) still answers "paused" until it has looked at the flag again. Default 5 s.
   */
  pausedGraceMs?: number;
}

/** Returns the last progress seen, or undefined if it never answered before detaching. */
export async function follow(poll: () => Promise<SweepProgress | undefined>, sink: ProgressSink, opts: FollowOptions = {}): Promise<SweepProgress | undefined> {
  const interval = Math.max(1000, opts.intervalMs ?? 1000);
  let last: SweepProgress | undefined;
  let pausedSince: number | undefined;
  const grace = opts.pausedGraceMs ?? 5_000;
  try {
    while (!opts.signal?.aborted) {
      try {
        const p = await poll();
        if (p) {
          last = p;
          sink.update(p);
          if (p.state === 'completed' || p.state === 'failed') break;
          pausedSince = p.state === 'paused' ? (pausedSince ?? Date.now()) : undefined;
          if (opts.stopWhenPaused && pausedSince !== undefined && Date.now() - pausedSince >= grace) break;
        }
      } catch (e) {
        sink.unreachable?.(e as Error);
      }
      await sleepUnlessAborted(interval, opts.signal);
    }
  } finally {
    sink.stop();
  }
  return last;
}
