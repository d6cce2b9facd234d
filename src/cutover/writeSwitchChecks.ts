/**
 * What the write switch reads to decide, shared by its activities (at run time) and the dry run
 * (`planWriteSwitch`), so both give the same answers: the preconditions, the consumers'
 * acknowledgements (drain, unfence), and the switch's timing from the plan. I/O goes through the
 * ports passed in (state store, flag provider, change log, reverse path).
 */
import type { Entity } from '../plan/schema.js';
import { phaseOf } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import { describeRoute, type ReadRoute, type WriteVariant } from '../flags/routing.js';
import { RoutingEvaluator } from '../flags/routingEvaluator.js';
import type { FlagProvider } from '../flags/types.js';
import type { ConsumerAck, StateStore } from '../state/types.js';
import type { VerificationReport } from '../verification/verificationReport.js';
import type { WriteSwitchInput } from '../workflows/cutoverDefinitions.js';
import { DEFAULT_TIMING, type CheckAnswer, type WriteSwitchTiming } from './writeSwitchSteps.js';
import { INSTANCE_TIMEOUT_MS } from './gates.js';
import type { ReversePath } from './reversePath.js';
import { createReversePath } from '../sync/reversePath.js';
import type { PlanResources } from '../resources/planResources.js';
import { syncLag } from '../sync/lag.js';


/** The switch's timing: `maxLag` and `poll` from the entity's sync phase, hold and timeouts from `cutover.writeSwitch`, the rest the defaults. */
export function writeSwitchTiming(entity: Entity): WriteSwitchTiming {
  const sync = phaseOf(entity, 'sync');
  const ws = phaseOf(entity, 'cutover')?.writeSwitch;
  return {
    ...DEFAULT_TIMING,
    maxLagMs: durationMs(sync?.maxLag ?? '30s'),
    reversePollMs: durationMs(sync?.poll ?? '1s'),
    ...(ws ? { holdMs: durationMs(ws.hold), drainTimeoutMs: durationMs(ws.drainTimeout), catchUpTimeoutMs: durationMs(ws.catchUpTimeout) } : {}),
  };
}

/** The consumers a switch waits for: the entity's `cutover.consumers`. */
export function cutoverConsumers(entity: Entity): string[] {
  return [...(phaseOf(entity, 'cutover')?.consumers ?? [])];
}

export interface CheckPorts {
  store: Pick<StateStore, 'listConsumerAcks' | 'latestReport'>;
  flags: Pick<FlagProvider, 'getRouting'>;
  /** Forward sync's pending changes by the legacy clock. */
  /** Forward sync's lag whichever the capture; undefined when trigger capture is not installed. */
  forwardLag(): Promise<{ pending: number; oldestSeconds: number } | undefined>;
  reversePath: ReversePath;
  consumers: readonly string[];
  now(): number;
}

/** The ports of `entity` from a plan's resources: what the activities and the dry run both read (reverse sync's reverse path unless one is given). */
export async function checkPortsOf(res: PlanResources, plan: string, entity: string, opts: { reversePath?: ReversePath; now?: () => number } = {}): Promise<CheckPorts> {
  return {
    store: await res.stateStore(),
    flags: await res.flags(),
    forwardLag: () => syncLag(res, plan, entity),
    reversePath: opts.reversePath ?? createReversePath(res, opts.now),
    consumers: cutoverConsumers(res.entity(entity)),
    now: opts.now ?? Date.now,
  };
}

/** The writes variant of the routing at `epoch` (in force when undefined), and that epoch; undefined before any publish. */
export async function writesAt(flags: Pick<FlagProvider, 'getRouting'>, plan: string, entity: string, epoch?: number): Promise<{ epoch: number; writes: WriteVariant } | undefined> {
  const r = await flags.getRouting(plan, entity, epoch);
  return r ? { epoch: r.epoch, writes: new RoutingEvaluator(r.document).writes() } : undefined;
}

/** The forward switch's preconditions, each with its current answer, in the order the step names them. */
export async function preconditionChecks(ports: CheckPorts, input: WriteSwitchInput, timing: WriteSwitchTiming): Promise<CheckAnswer[]> {
  const { plan, entity, epoch } = input;
  const checks: CheckAnswer[] = [];

  const inForce = await writesAt(ports.flags, plan, entity);
  checks.push(
    !inForce
      ? { name: 'routing at the epoch', ok: false, detail: `no routing published for ${entity}; the switch expects epoch ${epoch}` }
      : inForce.epoch !== epoch
        ? { name: 'routing at the epoch', ok: false, detail: `routing is at epoch ${inForce.epoch}, the switch was asked at epoch ${epoch}` }
        : inForce.writes !== 'legacy' && inForce.writes !== 'dual'
          ? { name: 'routing at the epoch', ok: false, detail: `writes go to ${inForce.writes} at epoch ${epoch}, not legacy or dual` }
          : { name: 'routing at the epoch', ok: true, detail: `epoch ${epoch}, writes ${inForce.writes}` },
  );

  const notNew = ports.consumers.filter((c) => routeOf(input.reads, input.otherReads, c) !== 'new');
  const acks = await ackState(ports, plan, entity, epoch, false);
  checks.push(
    notNew.length > 0
      ? { name: 'reads new', ok: false, detail: notNew.map((c) => `${c} reads ${describeRoute(routeOf(input.reads, input.otherReads, c))}`).join(', ') }
      : !acks.done
        ? { name: 'reads new', ok: false, detail: `not acknowledged at epoch ${epoch}: ${acks.waitingFor.join(', ')}` }
        : { name: 'reads new', ok: true, detail: `${ports.consumers.join(', ')} read new, acknowledged at epoch ${epoch}` },
  );

  const reverse = await ports.reversePath.ready(plan, entity);
  checks.push({ name: 'reverse path ready', ok: reverse.ok, detail: reverse.detail });

  const lag = await ports.forwardLag();
  const lagMs = Math.round((lag?.oldestSeconds ?? 0) * 1000);
  checks.push(
    lag === undefined
      ? { name: 'forward sync lag', ok: false, detail: `change capture of ${entity} is not installed: \`migrate sync --entity ${entity} --install\`` }
      : { name: 'forward sync lag', ok: lagMs <= timing.maxLagMs, detail: `${lag.pending} pending, oldest ${seconds(lagMs)} (max ${seconds(timing.maxLagMs)})` },
  );

  const last = await ports.store.latestReport<VerificationReport>(plan, entity);
  if (!last) {
    checks.push({ name: 'verification fresh and clean', ok: false, detail: `no verification of ${entity} yet: run \`migrate verify --entity ${entity}\`` });
  } else {
    const age = ports.now() - new Date(last.report.finishedAt).getTime();
    const r = last.report;
    const words = `run ${r.run} finished ${r.finishedAt}, ${r.totals.persistent} persistent of ${r.totals.compared}`;
    checks.push(
      !r.passed
        ? { name: 'verification fresh and clean', ok: false, detail: `${words}, did not pass` }
        : age > timing.verifyMaxAgeMs
          ? { name: 'verification fresh and clean', ok: false, detail: `${words}, older than ${seconds(timing.verifyMaxAgeMs)}: run \`migrate verify --entity ${entity}\`` }
          : { name: 'verification fresh and clean', ok: true, detail: `${words}, passed` },
    );
  }
  return checks;
}

/**
 * Whether every live instance of every consumer acknowledged `epoch` (or later), and with
 * `requireIdle` also has no write in flight. Instances silent for `INSTANCE_TIMEOUT_MS` are named in
 * `ignored`, not waited for; a consumer with no live instance at all is waited for.
 */
export async function ackState(
  ports: Pick<CheckPorts, 'store' | 'consumers' | 'now'>,
  plan: string,
  entity: string,
  epoch: number,
  requireIdle: boolean,
): Promise<{ done: boolean; waitingFor: string[]; ignored: string[] }> {
  const acks = await ports.store.listConsumerAcks(plan, entity);
  const waitingFor: string[] = [];
  const ignored: string[] = [];
  for (const consumer of ports.consumers) {
    const mine = acks.filter((a) => a.consumer === consumer);
    const live = mine.filter((a) => ports.now() - a.updatedAt.getTime() <= INSTANCE_TIMEOUT_MS);
    for (const a of mine) if (!live.includes(a)) ignored.push(`${consumer}/${a.instance}`);
    if (live.length === 0) {
      waitingFor.push(`${consumer} (no instance has reported)`);
      continue;
    }
    for (const a of live) {
      const why = behind(a, epoch, requireIdle);
      if (why) waitingFor.push(`${consumer}/${a.instance} (${why})`);
    }
  }
  return { done: waitingFor.length === 0, waitingFor, ignored };
}

function behind(a: ConsumerAck, epoch: number, requireIdle: boolean): string | undefined {
  if (a.epoch === null || a.epoch < epoch) return `at epoch ${a.epoch ?? 'none'}`;
  if (requireIdle && a.inFlightWrites > 0) return `${a.inFlightWrites} writes in flight`;
  return undefined;
}

function routeOf(reads: Readonly<Record<string, ReadRoute>>, other: ReadRoute | undefined, consumer: string): ReadRoute {
  return reads[consumer] ?? other ?? 'legacy';
}

function seconds(ms: number): string {
  if (ms >= 3600_000) return `${Math.round(ms / 360_000) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 6_000) / 10} min`;
  return `${Math.round(ms / 100) / 10} s`;
}
