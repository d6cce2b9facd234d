/**
 * `createConsumer`: one application's handle on one entity during a migration. It follows the
 * entity's routing document, routes each read and write by it, runs shadow comparisons, keeps the
 * failure log of dual writes, and reports its acknowledgement and counts to the orchestrator.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { compileRuleSet, parseRuleSet, type ComparisonRuleSet } from '../compare/ruleSet.js';
import type { TargetItem } from '../service/types.js';
import { createDocumentSource, type DocumentSourceHooks } from './documentSource.js';
import { ConsumerConfigError, RoutingUnavailableError, WriteFencedError } from './errors.js';
import { FailureLog, type FailedWrite } from './failureLog.js';
import { REPORT_FORMAT, type ConsumerReport } from './report.js';
import { httpTransport, ReportQueue, type ReportTransport } from './reporter.js';
import { routingKey, type EntityKey, type ReadRoute, type RoutingDocument, type WriteRoute } from './routing.js';
import { settleShadow, startCandidate, type ShadowCompare } from './shadow.js';
import { Tally } from './tally.js';

export interface ConsumerOptions extends DocumentSourceHooks {
  /** This application's consumer name, as the plan's cutover lists it. */
  name: string;
  /** The entity, e.g. `orders`. */
  entity: string;
  /** Where the routing document is: an http(s) URL or a file path. */
  routing: string;
  /** Poll interval in ms, clamped to [100, 300000]; default 5000. */
  pollMs?: number;
  /** Where reports and acknowledgements go: the URL of `migrate consumer ingest`, or a function. */
  report: { url: string; token?: string; everyMs?: number } | { send: ReportTransport; everyMs?: number };
  /** The entity's comparison rules (`migrate consumer rules --entity <name>`), as an object or JSON text. Needed for shadow reads. */
  rules?: ComparisonRuleSet | string;
  /** Answers turned into the rules' item shape before comparing (default: as is). */
  normalize?: { legacy?(value: unknown): TargetItem | null | undefined; next?(value: unknown): TargetItem | null | undefined };
  shadow?: { timeoutMs?: number; recheckDelayMs?: number; samplesPerReport?: number };
  /** Dual writes: where failed second writes are logged and how they are written again. */
  failures?: {
    /** Default `.tracer/<entity>.<name>.failures.jsonl` in the working directory; one file per process. */
    path?: string;
    /** Writes a logged value to the new service again (an idempotent upsert). Required for dual writes. */
    replay?: (key: unknown, value: unknown) => Promise<unknown>;
    /** Automatic retries of a logged write before it waits for an explicit `replay()`; default 5. */
    maxAttempts?: number;
    /** How often the automatic retry runs; default 10000 ms. */
    retryEveryMs?: number;
  };
  /** Distinguishes processes of one consumer; default host:pid:random. */
  instance?: string;
  /** Called when a report cannot be delivered (it is kept and sent later). */
  onReportError?(error: Error): void;
  /** Called when a background task fails unexpectedly (never thrown at a caller). */
  onError?(error: Error): void;
}

export interface ReadOps<T> {
  legacy(): Promise<T>;
  /** Reads the new service; the signal aborts it when a shadow read times out. */
  next(signal: AbortSignal): Promise<T>;
}

export interface WriteOps<R> {
  /** The value written, as JSON; kept in the failure log so a failed second write can be replayed. */
  value: unknown;
  legacy(): Promise<R>;
  next(): Promise<R>;
}

export interface ReplayResult {
  replayed: number;
  failed: number;
  remaining: number;
}

export interface Consumer {
  readonly name: string;
  readonly entity: string;
  readonly instance: string;
  /** Resolves when the first routing document is applied; rejects if the first read of the source failed. */
  ready(): Promise<void>;
  /** The epoch applied, or undefined before the first document. */
  epoch(): number | undefined;
  readRoute(key: EntityKey): ReadRoute;
  /** Which side(s) writes go to; the same for every key. */
  writeRoute(): WriteRoute;
  read<T>(key: EntityKey, ops: ReadOps<T>): Promise<T>;
  write<R>(key: EntityKey, ops: WriteOps<R>): Promise<R>;
  /** Writes every logged second write to the new service now (including those past the retry limit). */
  replay(): Promise<ReplayResult>;
  /** Failed second writes still to be replayed. */
  pendingFailures(): Promise<FailedWrite[]>;
  inFlightWrites(): number;
  /** Waits for background shadow comparisons, then sends a report. */
  flush(): Promise<void>;
  /** The routing document currently applied (for the OpenFeature provider). */
  document(): RoutingDocument | undefined;
  /** Subscribes to applied epochs; returns the unsubscribe function. */
  onEpochApplied(listener: (epoch: number) => void): () => void;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_RECHECK_MS = 1000;

function checkName(what: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ConsumerConfigError(`createConsumer: \`${what}\` must be a non-empty string`);
  return v;
}

function asItem(v: unknown): TargetItem | null | undefined {
  return v as TargetItem | null | undefined;
}

/** Creates a consumer and starts following its routing document; see `ConsumerOptions`. */
export function createConsumer(options: ConsumerOptions): Consumer {
  const name = checkName('name', options.name);
  const entity = checkName('entity', options.entity);
  const routing = checkName('routing', options.routing);
  const instance = options.instance ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const onError = (e: Error): void => options.onError?.(e);

  let compare: ShadowCompare | undefined;
  if (options.rules !== undefined) {
    const rules = parseRuleSet(typeof options.rules === 'string' ? (JSON.parse(options.rules) as unknown) : options.rules, 'createConsumer rules');
    if (rules.entity !== entity) throw new ConsumerConfigError(`createConsumer: the rules are for "${rules.entity}", not "${entity}"`);
    compare = {
      comparator: compileRuleSet(rules),
      normalize: { legacy: options.normalize?.legacy ?? asItem, next: options.normalize?.next ?? asItem },
    };
  }
  const timeoutMs = options.shadow?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const recheckDelayMs = options.shadow?.recheckDelayMs ?? DEFAULT_RECHECK_MS;
  const tally = new Tally(options.shadow?.samplesPerReport ?? 20);
  const maxAttempts = options.failures?.maxAttempts ?? 5;
  const failurePath = options.failures?.path ?? join(process.cwd(), '.tracer', `${entity}.${name}.failures.jsonl`);

  const transport = 'send' in options.report ? options.report.send : httpTransport(options.report.url, options.report.token, 10_000);
  const queue = new ReportQueue(transport, (e) => options.onReportError?.(e));
  let seq = 0;
  let inFlight = 0;
  let lastAckInFlight = 0;
  const shadows = new Set<Promise<void>>();
  const epochListeners = new Set<(epoch: number) => void>();
  let closed = false;

  let logPromise: Promise<FailureLog> | undefined;
  const failureLog = (): Promise<FailureLog> => (logPromise ??= FailureLog.open(failurePath));
  // Open an existing log at once so its backlog is retried and reported after a restart.
  void failureLog().catch((e: unknown) => onError(e as Error));

  const source = createDocumentSource(routing, entity, {
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    onEpoch(epoch, previous) {
      options.onEpoch?.(epoch, previous);
      for (const l of epochListeners) l(epoch);
      // Acknowledge a new epoch at once: the cutover waits for it.
      void report();
    },
    onStale(info) {
      options.onStale?.(info);
    },
    onRecovered(info) {
      options.onRecovered?.(info);
    },
  });

  const current = (): RoutingDocument => {
    const doc = source.current();
    if (doc === undefined) {
      throw new RoutingUnavailableError(`the routing document for ${entity} has not been read yet from ${routing}`, {
        retryable: true,
        hint: 'Await consumer.ready() at start-up, and check that the routing URL or file is reachable.',
      });
    }
    return doc;
  };
  const ensureDoc = async (): Promise<RoutingDocument> => {
    const doc = source.current();
    if (doc !== undefined) return doc;
    try {
      return await source.first();
    } catch (e) {
      throw new RoutingUnavailableError(`the routing document for ${entity} could not be read from ${routing}: ${(e as Error).message}`, {
        retryable: true,
        hint: 'Check that the routing URL or file is reachable; the call can be retried.',
        cause: e,
      });
    }
  };

  const buildReport = async (): Promise<ConsumerReport> => {
    const log = await failureLog().catch(() => undefined);
    const doc = source.current();
    const r: ConsumerReport = {
      format: REPORT_FORMAT,
      entity,
      consumer: name,
      instance,
      seq: seq++,
      at: new Date().toISOString(),
      ack: { epoch: doc?.epoch ?? null, inFlightWrites: inFlight, failureLogDepth: log?.size ?? 0, routingStale: source.stale() },
      epochs: tally.drain(),
    };
    if (doc?.plan !== undefined) r.plan = doc.plan;
    lastAckInFlight = inFlight;
    return r;
  };
  const report = async (): Promise<void> => {
    queue.push(await buildReport());
    await queue.send();
  };

  const everyMs = Math.max(100, options.report.everyMs ?? 10_000);
  const reportTimer = setInterval(() => void report().catch((e: unknown) => onError(e as Error)), everyMs);
  reportTimer.unref();

  // Automatic retries of logged second writes, up to maxAttempts each.
  const retryTimer = setInterval(() => void retryLogged(false).catch((e: unknown) => onError(e as Error)), Math.max(100, options.failures?.retryEveryMs ?? 10_000));
  retryTimer.unref();

  // Writes of one key go one at a time in this process, so a replay and a new write cannot cross.
  const keyLocks = new Map<string, Promise<unknown>>();
  const withKeyLock = async <X>(keyText: string, fn: () => Promise<X>): Promise<X> => {
    const before = keyLocks.get(keyText) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    keyLocks.set(keyText, tail);
    try {
      return await run;
    } finally {
      if (keyLocks.get(keyText) === tail) keyLocks.delete(keyText);
    }
  };

  let replaying: Promise<ReplayResult> | undefined;
  const retryLogged = (force: boolean): Promise<ReplayResult> => {
    const replayFn = options.failures?.replay;
    const run = async (): Promise<ReplayResult> => {
      const log = await failureLog();
      let replayed = 0;
      let failed = 0;
      for (const entry of log.list()) {
        if (!force && entry.attempts >= maxAttempts) continue;
        if (replayFn === undefined) {
          throw new ConsumerConfigError('createConsumer: failed second writes are logged but `failures.replay` is not set', 'Pass failures.replay: (key, value) => <upsert into the new service>.');
        }
        await withKeyLock(entry.keyText, async () => {
          // The entry may have been superseded by a write while waiting for the lock.
          if (log.pendingFor(entry.keyText)?.id !== entry.id) return;
          try {
            await replayFn(entry.key, entry.value);
            await log.recordDone(entry.id);
            tally.write(entry.epoch, 'replayed');
            replayed++;
          } catch (e) {
            await log.recordAttempt(entry.id, errorText(e));
            failed++;
            if (log.pendingFor(entry.keyText)?.attempts === maxAttempts) tally.write(entry.epoch, 'exhausted');
          }
        });
      }
      await log.compact();
      return { replayed, failed, remaining: log.size };
    };
    const p = (replaying ?? Promise.resolve()).then(run, run);
    replaying = p.finally(() => {
      if (replaying === p) replaying = undefined;
    }) as Promise<ReplayResult>;
    return p;
  };

  const afterWrite = (): void => {
    inFlight--;
    // The drain of a write switch waits for in-flight writes to reach 0: say so as soon as they do.
    if (inFlight === 0 && lastAckInFlight > 0) void report().catch((e: unknown) => onError(e as Error));
  };

  const routedWrite = async (key: EntityKey): Promise<{ doc: RoutingDocument; route: Exclude<WriteRoute, 'fenced'> }> => {
    let doc = await ensureDoc();
    let route = doc.writeRoute();
    if (route !== 'fenced') return { doc, route };
    const fence = doc.fence();
    if (fence.mode === 'hold') {
      const deadline = Date.now() + fence.holdMs;
      while (route === 'fenced' && Date.now() < deadline) {
        await waitForEpoch(deadline - Date.now());
        doc = current();
        route = doc.writeRoute();
      }
      if (route !== 'fenced') {
        tally.write(doc.epoch, 'fencedHeld');
        return { doc, route };
      }
    }
    tally.write(doc.epoch, 'fencedRejected');
    throw new WriteFencedError(entity, doc.epoch);
  };
  const waitForEpoch = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(t);
        epochListeners.delete(done);
        resolve();
      }
      epochListeners.add(done);
      // Look now rather than at the next poll: a fence is short.
      void source.refresh();
    });

  return {
    name,
    entity,
    instance,
    ready: async () => {
      await ensureDoc();
    },
    epoch: () => source.current()?.epoch,
    readRoute: (key) => current().readRoute(key, name),
    writeRoute: () => current().writeRoute(),
    document: () => source.current(),
    onEpochApplied(listener) {
      epochListeners.add(listener);
      return () => epochListeners.delete(listener);
    },

    async read<T>(key: EntityKey, ops: ReadOps<T>): Promise<T> {
      const doc = await ensureDoc();
      const route = doc.readRoute(key, name);
      const epoch = doc.epoch;
      tally.read(epoch, route);
      if (route === 'new') {
        const t0 = performance.now();
        try {
          return await ops.next(new AbortController().signal);
        } finally {
          tally.latency(epoch, 'next', performance.now() - t0);
        }
      }
      if (route === 'legacy' || compare === undefined) {
        if (route === 'shadow') onError(new ConsumerConfigError('shadow read without comparison rules: read from legacy only', 'Pass `rules` (from `migrate consumer rules`) to createConsumer.'));
        const t0 = performance.now();
        try {
          return await ops.legacy();
        } finally {
          tally.latency(epoch, 'legacy', performance.now() - t0);
        }
      }
      // Shadow: the candidate starts alongside legacy, so it adds nothing to the caller's wait.
      const candidate = startCandidate((s) => ops.next(s), timeoutMs);
      const t0 = performance.now();
      let legacyValue: T;
      try {
        legacyValue = await ops.legacy();
      } finally {
        tally.latency(epoch, 'legacy', performance.now() - t0);
      }
      const cmp = compare;
      const task = settleShadow({
        cmp,
        keyText: routingKey(key),
        legacyValue,
        candidate,
        recheck: { delayMs: recheckDelayMs, legacy: () => ops.legacy(), next: () => startCandidate((s) => ops.next(s), timeoutMs) },
        onCandidateLatency: (ms) => tally.latency(epoch, 'next', ms),
      })
        .then((outcome) => tally.shadow(epoch, outcome))
        .catch((e: unknown) => onError(e as Error));
      shadows.add(task);
      void task.finally(() => shadows.delete(task));
      return legacyValue;
    },

    async write<R>(key: EntityKey, ops: WriteOps<R>): Promise<R> {
      if (closed) throw new ConsumerConfigError('write after close()');
      const { doc, route } = await routedWrite(key);
      const epoch = doc.epoch;
      const keyText = routingKey(key);
      tally.write(epoch, route);
      inFlight++;
      try {
        if (route === 'legacy') return await ops.legacy();
        if (route === 'new') return await ops.next();
        return await withKeyLock(keyText, async () => {
          const result = await ops.legacy();
          const log = await failureLog();
          try {
            await ops.next();
            // This value is newer than anything logged for the key: the log must not replay over it.
            await log.supersede(keyText);
          } catch (e) {
            // Acknowledged to the caller only after the failure is on disk, so nothing is lost.
            await log.recordFailure(keyText, key, ops.value, epoch, errorText(e));
            tally.write(epoch, 'secondWriteFailed');
          }
          return result;
        });
      } finally {
        afterWrite();
      }
    },

    replay: () => retryLogged(true),
    pendingFailures: async () => (await failureLog()).list(),
    inFlightWrites: () => inFlight,

    async flush() {
      while (shadows.size > 0) await Promise.all([...shadows]);
      await report();
    },

    async close() {
      if (closed) return;
      closed = true;
      source.close();
      clearInterval(reportTimer);
      clearInterval(retryTimer);
      while (shadows.size > 0) await Promise.all([...shadows]);
      await replaying?.catch(() => undefined);
      await report().catch((e: unknown) => onError(e as Error));
      const log = await failureLog().catch(() => undefined);
      await log?.close();
    },
  };
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.slice(0, 500);
}
