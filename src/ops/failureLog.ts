/**
 * The failure log as operators see it (`migrate failures`): rows the new service refused or that
 * could not be mapped, with the service's redacted reason. Reading never changes the log: the
 * retention purge belongs to the operations that write (a finishing sweep, `migrate retry`), so a
 * listing is safe to run at any time, by anyone who may read the state store.
 */
import { requireEntity } from '../plan/entityRef.js';
import { UserError } from '../errors.js';
import type { Plan } from '../plan/schema.js';
import type { KeyPart, KeyTuple } from '../sources/types.js';
import type { FailureRecord, StateStore } from '../state/types.js';

export interface FailureListing {
  entity: string;
  /** Every failure logged for the entity, not only the ones listed. */
  count: number;
  failures: FailureRecord[];
  /** The entity's `failures.retention` (rows last seen longer ago are purged by the next sweep end or retry). */
  retention: string;
}

/** Throws a UserError naming the plan's entities when `entity` is not one of them. */
export function checkEntity(plan: Plan, file: string, entity: string): void {
  requireEntity(plan, file, entity);
}

/** The first `limit` failures of an entity (oldest first) and how many there are in all. */
export async function listFailureLog(store: StateStore, plan: Plan, entity: string, limit: number): Promise<FailureListing> {
  const [count, failures] = await Promise.all([store.countFailures(plan.name, entity), store.listFailures(plan.name, entity, limit)]);
  return { entity, count, failures, retention: plan.entities[entity]!.failures.retention };
}

/** A key as an operator types it back: the plain value for a one-column key, JSON of the tuple otherwise. */
export function displayKey(key: KeyTuple): string {
  if (key.length === 1 && typeof key[0] === 'string' && !/^[[\s"]/.test(key[0]) && key[0] !== '') return key[0];
  if (key.length === 1 && typeof key[0] === 'number') return String(key[0]);
  return JSON.stringify(key);
}

/**
 * Parses a `--key` argument: a JSON array for composite keys (`[7,"b"]`), else the plain value of a
 * single-column key (`42`, `AbC-1`, a UUID). Values are matched against logged keys as text, so
 * `42` finds a key stored as the number 42 or as the string "42" (bigint columns).
 */
export function parseKeyArg(raw: string, keyColumns: readonly string[]): KeyTuple {
  const text = raw.trim();
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UserError(`--key ${raw} is not valid JSON`, { hint: `Write composite keys as a JSON array in key order, e.g. --key '[1,"a"]' for (${keyColumns.join(', ')}).` });
    }
    if (!Array.isArray(parsed) || parsed.some((p) => typeof p !== 'string' && typeof p !== 'number')) {
      throw new UserError(`--key ${raw} must be an array of strings and numbers`, { hint: `One value per key column: ${keyColumns.join(', ')}.` });
    }
    if (parsed.length !== keyColumns.length) {
      throw new UserError(`--key ${raw} has ${parsed.length} value(s); the key is (${keyColumns.join(', ')})`, { hint: 'Give one value per key column, in that order.' });
    }
    return parsed as KeyPart[];
  }
  if (keyColumns.length !== 1) {
    throw new UserError(`--key ${raw} is a single value but the key is (${keyColumns.join(', ')})`, {
      hint: `Write it as a JSON array, e.g. --key '${JSON.stringify(keyColumns.map((_, i) => (i === 0 ? raw : '…')))}'; \`migrate failures\` prints keys in that form.`,
    });
  }
  return [text];
}

/** Key equality as an operator means it: part by part, as text (so 42 matches "42"). */
export function sameKey(a: KeyTuple, b: KeyTuple): boolean {
  return a.length === b.length && a.every((p, i) => String(p) === String(b[i]));
}
