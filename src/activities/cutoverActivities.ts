/**
 * Activities of an entity's cutover: its stages from the worker's plan, publishing a stage's
 * routing as the next epoch (audited by the flag provider in the same transaction), and gathering
 * a gate's evidence — consumer acknowledgements and shadow counts at the epoch, the last
 * verification, forward sync lag. Inputs carry names only.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { buildRoutingDocument, stageOf, type ReadRoute } from '../flags/routing.js';
import { phaseOf } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import type { PlanResources } from '../resources/planResources.js';
import type { EpochCounts } from '../consumer/report.js';
import type { ConsumerEvidence, GateEvidence } from '../cutover/gates.js';
import { resolveStages, type ResolvedStage, type StageProblem, type StageWrites } from '../cutover/stages.js';
import type { VerificationReport } from '../verification/verificationReport.js';
import { syncWorkflowId } from '../workflows/syncWorkflow.js';
import { assertWorkerPlan } from './failureMapping.js';
import { keptAlive } from './keepAlive.js';
import { syncLag } from '../sync/lag.js';
import { cutoverSettings } from '../cutover/settings.js';

export interface CutoverRef {
  plan: string;
  entity: string;
}

/** The routing in force, in the cutover's words. */
export interface RoutingInForce {
  epoch: number;
  reads: Record<string, ReadRoute>;
  otherReads?: ReadRoute;
  /** `fenced` or `dual` only when someone else published them. */
  writes: string;
}

export interface CutoverSetup {
  consumers: string[];
  stages: ResolvedStage[];
  problems: StageProblem[];
  /** Undefined before the first publish. */
  inForce?: RoutingInForce;
}

export interface PublishCutoverRoutingInput extends CutoverRef {
  /** Must be one more than the epoch in force. */
  epoch: number;
  reads: Record<string, ReadRoute>;
  writes: StageWrites;
  actor: string;
  reason: string;
}

export interface GatherEvidenceInput extends CutoverRef {
  epoch: number;
  consumers: string[];
}

// The cutover phase of an entity (UserError when it has none), defined beside the cutover operations, which `migrate status` loads without the activities.
export { cutoverSettings };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface CutoverActivityDeps {
  resources: PlanResources;
  /** Whether the entity's sync workflow runs; default: asked through the activity's own Temporal client. */
  syncRunning?: (plan: string, entity: string) => Promise<boolean>;
}

export function createCutoverActivities(deps: CutoverActivityDeps) {
  const res = deps.resources;
  const syncRunning = deps.syncRunning ?? syncRunningFromActivity;

  async function inForce(plan: string, entity: string): Promise<RoutingInForce | undefined> {
    const published = await (await res.flags()).getRouting(plan, entity);
    if (!published) return undefined;
    const stage = stageOf(published.document);
    if (!stage) return { epoch: published.epoch, reads: {}, writes: 'custom' };
    return { epoch: published.epoch, reads: { ...stage.reads }, ...(stage.otherReads !== undefined ? { otherReads: stage.otherReads } : {}), writes: stage.writes };
  }

  // Kept alive: the cutover schedules these with a 10 s heartbeat timeout (cutoverWorkflow).
  return keptAlive({
    /** The entity's stages resolved from the worker's plan, what stops them running, and the routing in force. */
    async cutoverSetup(ref: CutoverRef): Promise<CutoverSetup> {
      assertWorkerPlan(res, ref.plan);
      const phase = cutoverSettings(res, ref.entity);
      const { stages, problems } = resolveStages(phase);
      const now = await inForce(ref.plan, ref.entity);
      return { consumers: [...phase.consumers], stages, problems, ...(now ? { inForce: now } : {}) };
    },

    /**
     * Publishes the routing as `epoch` (audited with it). A retry after a publish that went
     * through finds its own document in force and answers it; a newer epoch published by anyone
     * else is refused for good, so the cutover never routes over a change it did not make.
     */
    async publishCutoverRouting(input: PublishCutoverRoutingInput): Promise<{ epoch: number; publishedAt: number }> {
      assertWorkerPlan(res, input.plan);
      const flags = await res.flags();
      const doc = buildRoutingDocument({ plan: input.plan, entity: input.entity, epoch: input.epoch, reads: input.reads, otherReads: 'legacy', writes: input.writes });
      const current = await flags.getRouting(input.plan, input.entity);
      if (current && current.epoch >= input.epoch) {
        if (current.epoch === input.epoch && sameJson(current.document, doc)) return { epoch: current.epoch, publishedAt: current.publishedAt.getTime() };
        throw ApplicationFailure.create({
          type: 'RoutingConflictError',
          nonRetryable: true,
          message: `routing of ${input.entity} is at epoch ${current.epoch} (published by ${current.publishedBy}), the cutover expected to publish epoch ${input.epoch}: someone else changed it`,
        });
      }
      const p = await flags.publishRouting(doc, { plan: input.plan, entity: input.entity, actor: input.actor, reason: input.reason });
      return { epoch: p.epoch, publishedAt: p.publishedAt.getTime() };
    },

    /** Everything a gate decides on, at `epoch`, for `consumers`. */
    async gatherCutoverEvidence(input: GatherEvidenceInput): Promise<GateEvidence> {
      assertWorkerPlan(res, input.plan);
      const store = await res.stateStore();
      const [acks, reports] = await Promise.all([store.listConsumerAcks(input.plan, input.entity), store.listConsumerReports(input.plan, input.entity)]);
      const consumers: Record<string, ConsumerEvidence> = {};
      for (const c of input.consumers) consumers[c] = { instances: [], shadow: { match: 0, mismatch: 0, candidateError: 0, timeout: 0 }, readsNew: 0 };
      for (const a of acks) {
        consumers[a.consumer]?.instances.push({ instance: a.instance, epoch: a.epoch, updatedAt: a.updatedAt.getTime(), inFlightWrites: a.inFlightWrites, routingStale: a.routingStale });
      }
      for (const r of reports) {
        const ev = consumers[r.consumer];
        if (!ev) continue;
        for (const e of r.epochs as EpochCounts[]) {
          if (e.epoch !== input.epoch) continue;
          ev.shadow.match += e.shadow.match;
          ev.shadow.mismatch += e.shadow.mismatch;
          ev.shadow.candidateError += e.shadow.candidateError;
          ev.shadow.timeout += e.shadow.timeout;
          ev.readsNew += e.reads.new;
        }
      }
      const evidence: GateEvidence = { epoch: input.epoch, at: Date.now(), consumers };
      const e = res.entity(input.entity);
      if (phaseOf(e, 'verify')) {
        const last = await store.latestReport<VerificationReport>(input.plan, input.entity);
        evidence.verification = last
          ? { reportId: last.id, finishedAt: new Date(last.report.finishedAt).getTime(), passed: last.report.passed, persistent: last.report.totals.persistent, compared: last.report.totals.compared }
          : null;
      }
      const sync = phaseOf(e, 'sync');
      if (sync) {
        const lag = await syncLag(res, input.plan, input.entity);
        if (!lag) {
          evidence.sync = { running: false, pending: 0, oldestSeconds: 0, maxLagMs: durationMs(sync.maxLag) };
          return evidence;
        }
        const flagOn = (await (await res.flags()).getFlag(sync.flag)) ?? false;
        evidence.sync = { running: flagOn && (await syncRunning(input.plan, input.entity)), pending: lag.pending, oldestSeconds: lag.oldestSeconds, maxLagMs: durationMs(sync.maxLag) };
      }
      return evidence;
    },
  });
}

/** Whether the entity's sync workflow runs, asked through the worker's own client; true when it cannot be asked (the flag and the lag still speak). */
async function syncRunningFromActivity(plan: string, entity: string): Promise<boolean> {
  let client;
  try {
    client = Context.current().client;
  } catch {
    return true;
  }
  try {
    const d = await client.workflow.getHandle(syncWorkflowId(plan, entity)).describe();
    return d.status.name === 'RUNNING';
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError') return false;
    throw e;
  }
}
