/**
 * Heartbeats on a timer while an activity runs, so that Temporal learns from the heartbeat timeout,
 * within seconds, that the worker running it died — not from start-to-close, a minute later. Used
 * by the write switch, whose every minute of delay is a minute of fenced writes. Outside an activity
 * (called directly, as integration tests do) the function just runs.
 */
import { Context } from '@temporalio/activity';

/** How often a kept-alive activity heartbeats; its heartbeat timeout is a few of these (KEPT_ALIVE_HEARTBEAT_TIMEOUT, workflows/activityOptions.ts). */
export const KEEP_ALIVE_EVERY_MS = 2_000;

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** `fn`, heartbeating every KEEP_ALIVE_EVERY_MS while it runs. */
export function keepAlive<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const ctx = activityContext();
    if (!ctx) return fn(...args);
    ctx.heartbeat();
    const timer = setInterval(() => ctx.heartbeat(), KEEP_ALIVE_EVERY_MS);
    try {
      return await fn(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

/** Every function of `activities`, kept alive. */
export function keptAlive<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, keepAlive(fn as (...args: unknown[]) => Promise<unknown>)])) as unknown as T;
}
