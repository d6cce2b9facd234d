/**
 * The orchestrator's own store (plan `state.url`, PostgreSQL or MySQL): flags, audit log,
 * sweep checkpoints, failure log, verification reports. Tables are created and migrated on first use.
 */
import type { KeyTuple } from '../sources/types.js';

export interface AuditEntry {
  id?: number;
  at?: Date;
  plan: string;
  entity?: string;
  /** e.g. `flag.set`, `backfill.start`, `backfill.pause`, `verify.repair`. */
  action: string;
  /** Small JSON detail; never secrets. */
  detail?: Record<string, unknown>;
  actor: string;
  reason?: string;
}

export interface FlagValue {
  name: string;
  enabled: boolean;
  updatedAt: Date;
  updatedBy: string;
}

export interface Checkpoint {
  /** Key of the last row whose batch the target acknowledged; absent before the first batch. */
  cursor?: KeyTuple;
  rowsDone: number;
  failures: number;
  /** Verification sweeps: rows that differed so far. */
  mismatches?: number;
  done: boolean;
}

export interface FailureRecord {
  plan: string;
  entity: string;
  key: KeyTuple;
  status: number;
  /** Response excerpt, secrets redacted, at most 1 KB. */
  error: string;
  attempts: number;
  firstSeen: Date;
  lastSeen: Date;
}

export interface StoredReport<T = unknown> {
  id: string;
  plan: string;
  entity: string;
  createdAt: Date;
  report: T;
}

/** Checkpoints are per sweep run (`runKey`, e.g. `backfill` or `verify/<run>`) and partition. */
export interface StateStore extends VerifyEntryStore, RoutingStore, ConsumerReportStore, CutoverJournalStore {
  /** Creates or migrates the tables; idempotent and safe to call from several processes. */
  migrate(): Promise<void>;

  /** The plan's flag: flags are scoped by plan, so two plans in one store never share one. */
  getFlag(plan: string, name: string): Promise<FlagValue | undefined>;
  /** Sets the plan's flag and appends the audit entry in one transaction. */
  setFlag(plan: string, name: string, enabled: boolean, actor: string, reason?: string, entity?: string): Promise<void>;
  /** The plan's flags, in name order. */
  listFlags(plan: string): Promise<FlagValue[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  listAudit(filter: { plan: string; entity?: string; limit?: number }): Promise<AuditEntry[]>;

  getCheckpoint(plan: string, entity: string, runKey: string, partition: number): Promise<Checkpoint | undefined>;
  saveCheckpoint(plan: string, entity: string, runKey: string, partition: number, checkpoint: Checkpoint): Promise<void>;
  /**
   * saveCheckpoint, and the plan's flag `flag` read in the same round trip where the engine allows
   * (one statement on PostgreSQL; on MySQL the read runs beside the upsert): resolves once the
   * checkpoint is committed, with the flag's value read no earlier than the save was asked for
   * (false when the flag was never set, as a backfill reads it).
   */
  saveCheckpointReadFlag(plan: string, entity: string, runKey: string, partition: number, checkpoint: Checkpoint, flag: string): Promise<boolean>;
  clearCheckpoints(plan: string, entity: string, runKey: string): Promise<void>;

  /** Upsert by (plan, entity, key): attempts incremented, lastSeen updated. */
  recordFailures(failures: Omit<FailureRecord, 'attempts' | 'firstSeen' | 'lastSeen'>[]): Promise<void>;
  listFailures(plan: string, entity: string, limit?: number): Promise<FailureRecord[]>;
  countFailures(plan: string, entity: string): Promise<number>;
  removeFailures(plan: string, entity: string, keys: readonly KeyTuple[]): Promise<void>;
  /** Deletes failures last seen before `olderThan`; returns how many. */
  purgeFailures(plan: string, entity: string, olderThan: Date): Promise<number>;

  saveReport<T>(plan: string, entity: string, report: T): Promise<string>;
  getReport<T>(id: string): Promise<StoredReport<T> | undefined>;
  latestReport<T>(plan: string, entity: string): Promise<StoredReport<T> | undefined>;

  close(): Promise<void>;
}

/** How a row first disagreed in a verification sweep, or `inflight` for rows written during it. */
export type VerifyEntryClass = 'missing' | 'different' | 'inflight' | 'extra';
/** pending: to re-check; resolved: matched on re-check; persistent: still differs after the last round; repaired: re-pushed and then matched. */
export type VerifyEntryState = 'pending' | 'resolved' | 'persistent' | 'repaired';

/** One row of a verification run's re-check queue (`migrate_verify_entries`). */
export interface VerifyEntry {
  /** Source key tuple; for `extra`, the service item's key values in target key order. */
  key: KeyTuple;
  class: VerifyEntryClass;
  state: VerifyEntryState;
  /** Fields that differed at the latest comparison (paths only, never values). */
  fields: string[];
}

/** Verification queue: per run (`runKey`), keyed by the row's key. Additive to StateStore. */
export interface VerifyEntryStore {
  /** Upserts by key: class, state and fields are replaced. */
  saveVerifyEntries(plan: string, entity: string, runKey: string, entries: readonly VerifyEntry[]): Promise<void>;
  /** One page in a stable order; pass the returned `next` to continue. */
  listVerifyEntries(
    plan: string,
    entity: string,
    runKey: string,
    filter: { state?: VerifyEntryState; class?: VerifyEntryClass; after?: string; limit?: number },
  ): Promise<{ entries: VerifyEntry[]; next?: string }>;
  /** Counts per class and state. */
  countVerifyEntries(plan: string, entity: string, runKey: string): Promise<{ class: VerifyEntryClass; state: VerifyEntryState; n: number }[]>;
  clearVerifyEntries(plan: string, entity: string, runKey: string): Promise<void>;
}

/** One published epoch of an entity's routing document (`migrate_routing_documents`). */
export interface StoredRouting {
  plan: string;
  entity: string;
  epoch: number;
  /** The flagd document as published (src/flags/routing.ts says its shape; the store does not look inside). */
  document: unknown;
  publishedAt: Date;
  publishedBy: string;
}

/** Routing documents: every epoch kept, the newest is in force. Additive to StateStore. */
export interface RoutingStore {
  /** The newest epoch of the entity's routing, or the given `epoch`; undefined when none. */
  getRouting(plan: string, entity: string, epoch?: number): Promise<StoredRouting | undefined>;
  /** The newest epoch of every entity of the plan, in entity order. */
  listRouting(plan: string): Promise<StoredRouting[]>;
  /**
   * Stores `epoch` (one more than the newest, 1 for the first) and appends the audit entry
   * (`routing.publish`, with `detail`) in one transaction. Any other epoch, including one another
   * publisher claimed a moment earlier, is refused with a UserError and nothing is written.
   */
  publishRouting(entry: { plan: string; entity: string; epoch: number; document: unknown; actor: string; reason?: string; detail?: Record<string, unknown> }): Promise<void>;
}

/** The latest acknowledgement of one consumer instance (`migrate_consumer_acks`). */
export interface ConsumerAck {
  consumer: string;
  instance: string;
  /** Routing epoch applied; null before the instance read its first document. */
  epoch: number | null;
  inFlightWrites: number;
  failureLogDepth: number;
  routingStale: boolean;
  lastSeq: number;
  updatedAt: Date;
}

/** One report as a consumer instance sent it (`migrate_consumer_reports`); `epochs` is its per-epoch counts. */
export interface StoredConsumerReport {
  consumer: string;
  instance: string;
  seq: number;
  receivedAt: Date;
  epochs: unknown;
}

/** What the consumer ingest endpoint writes and `migrate consumer report` reads. Additive to StateStore. */
export interface ConsumerReportStore {
  /**
   * Stores a report and the instance's acknowledgement in one transaction. A report whose
   * (consumer, instance, seq) is already stored is not stored again; answers whether it was new.
   */
  saveConsumerReport(plan: string, entity: string, report: { consumer: string; instance: string; seq: number; ack: Omit<ConsumerAck, 'consumer' | 'instance' | 'lastSeq' | 'updatedAt'>; epochs: unknown }): Promise<boolean>;
  listConsumerAcks(plan: string, entity: string): Promise<ConsumerAck[]>;
  /** Every stored report of the entity, by consumer, instance and seq. */
  listConsumerReports(plan: string, entity: string): Promise<StoredConsumerReport[]>;
}

/** How one step of a write switch ended (the journal's `outcome`). */
export type JournalOutcome = 'done' | 'undone' | 'skipped' | 'failed';

/** One entry of a write switch's journal (`migrate_cutover_journal`). */
export interface JournalEntry {
  /** Workflow ID of the write switch. */
  switchId: string;
  /** 1, 2, … in the order the steps were taken, across every run of the switch. */
  seq: number;
  step: string;
  outcome: JournalOutcome;
  /** What the step did, in one line (the same words `--dry-run` prints). */
  detail: string;
  /** The routing epoch the step published or waited for. */
  epoch?: number;
  /** What the step measured (a change-log position, the instances it waited for); never secrets. */
  data?: Record<string, unknown>;
  at: Date;
}

/** The write switch's journal. Additive to StateStore. */
export interface CutoverJournalStore {
  /**
   * Records entry `seq` of a switch and its audit entry (`cutover.write-switch`) in one transaction.
   * Recording the same `seq` again (an activity retried after it had written) stores nothing and
   * answers the entry already there.
   */
  appendJournal(plan: string, entity: string, entry: Omit<JournalEntry, 'at'>, actor: string): Promise<JournalEntry>;
  /** The entity's journal in order: one switch's entries when `switchId` is given, else every switch's. */
  listJournal(plan: string, entity: string, switchId?: string): Promise<JournalEntry[]>;
}
