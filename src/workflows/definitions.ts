/**
 * Names shared by workflows and the clients that drive them: IDs, signals, queries and inputs.
 * Safe to import from both sides (definitions only, no side effects).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { KeyRange, KeyTuple } from '../sources/types.js';
import type { RateSample, SweepKind, SweepProgress } from '../progress.js';

/** Workflow ID of an entity's backfill: starting twice attaches, never copies twice. */
export function backfillWorkflowId(plan: string, entity: string): string {
  return `migrate/${plan}/${entity}/backfill`;
}

/** Workflow ID of one verification run. */
export function verifyWorkflowId(plan: string, entity: string, run: string): string {
  return `migrate/${plan}/${entity}/verify/${run}`;
}

/** What a sweep's partition carries across chunks and continue-as-new. */
export interface PartitionState {
  index: number;
  range: KeyRange;
  /** Key of the last row handled; the next chunk starts after it. */
  cursor?: KeyTuple;
  done: number;
  total: number;
  failures: number;
  mismatches: number;
  completed: boolean;
}

/** Input of the sweep workflow. Holds names only: the worker resolves connections and secrets from its own plan. */
export interface SweepInput {
  plan: string;
  entity: string;
  kind: SweepKind;
  /** Checkpoint namespace: `backfill`, or `verify/<run>`. */
  runKey: string;
  /** Verification options (ignored by backfill). */
  verify?: VerifyRunOptions;
  /** Set only by continue-as-new. */
  carried?: CarriedState;
  /** History length at which the run continues as new (default 4,000); workflow tests set it low to roll early. */
  rollAfterEvents?: number;
}

export interface VerifyRunOptions {
  /** Fraction of rows to verify, 0 < sample <= 1. */
  sample?: number;
  /** Only rows whose updatedAt is at or after this ISO instant. */
  since?: string;
  /** When the verification started (ms since the epoch): rows updated since then were written during the sweep. */
  startedAt?: number;
  /** The verification run id: seeds the sample so retries and re-checks cover the same rows. */
  run?: string;
}

export interface CarriedState {
  partitions: PartitionState[];
  startedAt: number;
  samples: RateSample[];
  pausedReason?: string;
}

export interface SweepResult {
  kind: SweepKind;
  done: number;
  failures: number;
  mismatches: number;
  /** Verification only: the stored report's id. */
  reportId?: string;
  /** Final rows done per partition (absent from results of older runs). */
  partitions?: { index: number; done: number }[];
}

/** The operator flipped the flag or asked to resume: look again now instead of at the next poll. */
export const wakeSignal = defineSignal('wake');
/** Resume after an auth pause (the operator fixed the credentials). */
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<SweepProgress>('progress');
