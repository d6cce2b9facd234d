/**
 * The service's key of a row that no longer exists in the legacy: a delete has only the source key,
 * so the target key must follow from the key columns alone. It does when every target key field is
 * mapped from a source key column; otherwise deletes cannot be synced and this says so up front.
 */
import { UserError } from '../errors.js';
import { compileMapping, type Mapping } from '../mapping/index.js';
import type { Entity } from '../plan/schema.js';
import type { KeyTuple, SourceRow } from '../sources/types.js';
import type { TargetKey } from '../service/types.js';

/** A function from a source key tuple to the service's key object; UserError when the key is not derivable. */
export function targetKeyFromSourceKey(name: string, entity: Entity, mapping: Pick<Mapping, 'targetKeyFields'>): (key: KeyTuple) => TargetKey {
  const keyCols = new Set(entity.source.key);
  const map: Entity['map'] = {};
  for (const field of mapping.targetKeyFields) {
    const entry = entity.map[field];
    const from = typeof entry === 'string' ? entry : entry?.from;
    if (entry === undefined || from === undefined || !keyCols.has(from)) {
      throw new UserError(`entity "${name}": the service's key field "${field}" does not come straight from a source key column, so a deleted row's service key cannot be known`, {
        hint: `Map ${field} from one of source.key (${entity.source.key.join(', ')}) so sync can send deletes, or use \`capture: updatedAt\` (which sends no deletes).`,
      });
    }
    map[field] = entry;
  }
  const keyOnly = compileMapping({ ...entity, map, transform: undefined, target: { ...entity.target, key: mapping.targetKeyFields } }, { name });
  return (key) => {
    const row: SourceRow = {};
    entity.source.key.forEach((col, i) => (row[col] = key[i]));
    return keyOnly.keyOfItem(keyOnly.map(row));
  };
}
