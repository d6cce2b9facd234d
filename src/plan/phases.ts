/**
 * Reading an entity's phases, apart from the schema: workflows need this, and importing it from
 * schema.ts put zod, yaml and lossless-json into the workflow bundle that every worker thread loads.
 */
import type { BackfillPhase, CutoverPhase, Entity, SyncPhase, VerifyPhase } from './schema.js';

interface PhaseConfigs {
  backfill: BackfillPhase;
  sync: SyncPhase;
  verify: VerifyPhase;
  cutover: CutoverPhase;
}

/** The phase config of a kind, if the entity has that phase. */
export function phaseOf<K extends keyof PhaseConfigs>(entity: Entity, kind: K): PhaseConfigs[K] | undefined {
  for (const p of entity.phases) if (kind in p) return (p as unknown as PhaseConfigs)[kind];
  return undefined;
}
