/**
 * `migrate retry`: re-reads failed rows from the legacy source and drives them through the same copy
 * visitor the backfill uses, so a row is mapped, batched and written exactly as the backfill would.
 * Rows the service now accepts leave the failure log; rows it still refuses stay with attempts + 1
 * and the new reason.
 *
 * Runs in the CLI process, not as a workflow: the failure log is the exceptions of a backfill (small
 * by design), the operator waits for the answer, and the log itself is the checkpoint — a retry
 * killed half-way has removed what it wrote and left the rest, so running it again carries on.
 * Writes are idempotent upserts, so a row written twice (a retry racing a running backfill) is
 * harmless.
 */
import { EnvironmentError, UserError } from '../errors.js';
import type { PlanResources } from '../resources/planResources.js';
import { phaseOf } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import { entityCopyVisitor, readForRePush } from '../activities/rePush.js';
import type { KeyTuple } from '../sources/types.js';
import type { FailureRecord } from '../state/types.js';
import { TargetAuthError, TargetRetryableError } from '../service/errors.js';
import { writesSwitched } from '../flags/writesSwitched.js';
import { displayKey, sameKey } from './failureLog.js';

export interface RetryRequest {
  entity: string;
  /** Keys to retry (each must be in the failure log); ignored with `all`. */
  keys?: readonly KeyTuple[];
  all?: boolean;
  /** Report what would be retried; read and write nothing else. */
  dryRun?: boolean;
  /** Who asked, for the audit log. */
  actor: string;
}

export interface RetryOutcome {
  entity: string;
  dryRun: boolean;
  /** Failure-log rows selected for this retry. */
  selected: number;
  /** The service accepted them: removed from the log. */
  written: number;
  /** Refused again (or still unmappable): kept with attempts + 1. */
  stillFailing: number;
  /** Gone from the legacy table since they failed: nothing left to copy, removed from the log. */
  goneFromSource: number;
  /** Rows past the entity's retention, purged before the retry. */
  purged: number;
  /** The failure log's size afterwards. */
  remaining: number;
  /** Keys selected (dry run), or keys still failing (real run); at most 100. */
  keys: string[];
}

/** Attempts per batch against a failing or throttling service before giving up (the rows stay logged). */
const TRANSIENT_ATTEMPTS = 6;
const MAX_BACKOFF_MS = 10_000;
const LISTED_KEYS = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Retries the selected failure-log rows of an entity. Throws UserError for keys not in the log,
 * when the entity's backfill flag is off (the flag stops every write Tracer makes to the service) or
 * once writes have switched to the new service (the legacy row is no longer the truth to push);
 * EnvironmentError when the service refuses the credentials or keeps failing.
 */
export async function retryFailures(res: PlanResources, req: RetryRequest): Promise<RetryOutcome> {
  const plan = res.plan.name;
  const e = res.entity(req.entity);
  const backfill = phaseOf(e, 'backfill');
  const store = await res.stateStore();

  if (!req.all && (!req.keys || req.keys.length === 0)) {
    throw new UserError('nothing to retry: give --key K (repeatable) or --all', { hint: `\`migrate failures --entity ${req.entity}\` lists the failed keys.` });
  }

  // Retention first, so an expired row is neither listed nor re-sent.
  const purged = req.dryRun ? 0 : await store.purgeFailures(plan, req.entity, new Date(Date.now() - durationMs(e.failures.retention)));
  const logged = await store.listFailures(plan, req.entity, Math.max(1, await store.countFailures(plan, req.entity)));
  let selected: FailureRecord[];
  if (req.all) {
    selected = logged;
  } else {
    selected = [];
    const missing: KeyTuple[] = [];
    for (const k of req.keys!) {
      const hit = logged.find((f) => sameKey(f.key, k));
      if (hit) {
        if (!selected.includes(hit)) selected.push(hit);
      } else missing.push(k);
    }
    if (missing.length > 0) {
      throw new UserError(`not in the failure log of ${req.entity}: ${missing.map(displayKey).join(', ')}`, {
        hint: `Retry re-drives logged failures only; \`migrate failures --entity ${req.entity}\` lists them. Nothing was retried.`,
      });
    }
  }

  const base = { entity: req.entity, selected: selected.length, purged };
  if (req.dryRun) {
    return { ...base, dryRun: true, written: 0, stillFailing: 0, goneFromSource: 0, remaining: logged.length, keys: selected.slice(0, LISTED_KEYS).map((f) => displayKey(f.key)) };
  }

  const switched = selected.length > 0 ? await writesSwitched(await res.flags(), plan, req.entity) : undefined;
  if (switched) {
    throw new UserError(`retry of ${req.entity} is refused: writes have switched to the new service (${switched.because}), so the legacy is no longer the source of truth`, {
      hint: 'Fix these rows in the new service itself, or roll the write stage back first; nothing was retried.',
    });
  }
  if (selected.length > 0 && backfill?.flag) {
    if (!(await (await res.flags()).getFlag(backfill.flag))) {
      throw new UserError(`flag ${backfill.flag} is off, so Tracer writes nothing to the service for ${req.entity}`, {
        hint: `Turn it on first (\`migrate backfill --entity ${req.entity} --resume\` or \`migrate flags set ${backfill.flag} on\`); nothing was retried.`,
      });
    }
  }

  const source = await res.source(e.source.db);
  let written = 0;
  let stillFailing = 0;
  let goneFromSource = 0;
  const failingKeys: string[] = [];
  const visitor = entityCopyVisitor(res, plan, req.entity, source, {
    recordFailures: async (f) => {
      stillFailing += f.length;
      for (const x of f) if (failingKeys.length < LISTED_KEYS) failingKeys.push(displayKey(x.key));
      await store.recordFailures(f);
    },
    onWritten: async (keys) => {
      written += keys.length;
      await store.removeFailures(plan, req.entity, keys);
    },
  });

  const pageSize = backfill?.batchSize ?? 500;
  for (let i = 0; i < selected.length; i += pageSize) {
    const keys = selected.slice(i, i + pageSize).map((f) => f.key);
    const { rows, gone } = await readForRePush(res, req.entity, source, keys);
    if (gone.length > 0) {
      await store.removeFailures(plan, req.entity, gone);
      goneFromSource += gone.length;
    }
    if (rows.length > 0) await visitWithRetries(() => visitor.visit(rows), e.target.service);
  }

  const remaining = await store.countFailures(plan, req.entity);
  await store.appendAudit({
    plan,
    entity: req.entity,
    action: 'failures.retry',
    actor: req.actor,
    detail: { selection: req.all ? 'all' : 'keys', selected: selected.length, written, stillFailing, goneFromSource, purged, remaining },
  });
  return { ...base, dryRun: false, written, stillFailing, goneFromSource, remaining, keys: failingKeys };
}

/**
 * One page through the copy visitor, retried while the service throttles or fails transiently
 * (honouring Retry-After). Re-sending a page is safe: writes are idempotent upserts and only the
 * items acknowledged leave the log.
 */
async function visitWithRetries(visit: () => Promise<unknown>, service: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await visit();
      return;
    } catch (err) {
      if (err instanceof TargetAuthError) {
        throw new EnvironmentError(`${err.message}; retry stopped, the failure log is unchanged for the rows not yet retried`, {
          hint: `Check targets.${service}.headers in the plan and the environment variables they use, then run \`migrate retry\` again.`,
        });
      }
      if (!(err instanceof TargetRetryableError) || attempt >= TRANSIENT_ATTEMPTS) {
        if (err instanceof TargetRetryableError) {
          throw new EnvironmentError(`${err.message} (gave up after ${attempt} attempts)`, {
            hint: `The service "${service}" keeps failing; rows not written stay in the failure log — run \`migrate retry\` again later.`,
          });
        }
        throw err;
      }
      await sleep(err.retryAfterMs ?? Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempt));
    }
  }
}
