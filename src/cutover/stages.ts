/**
 * A cutover's stages as the routing each one puts in force: stage by stage, the read route of every
 * consumer and where writes go. Pure and deterministic (the cutover workflow imports it), so the
 * plan check, the workflow and `migrate cutover --dry-run` agree on what each stage publishes.
 */
import type { CutoverPhase, Stage } from '../plan/schema.js';
import type { ReadRoute } from '../flags/routing.js';

/** Where writes go after a stage: only whole moves exist (the write switch moves them). */
export type StageWrites = 'legacy' | 'new';

/** A stage with the routing it puts in force and its gate in milliseconds. */
export interface ResolvedStage {
  index: number;
  name: string;
  /** Read route of every consumer of the cutover once this stage is in force. */
  reads: Record<string, ReadRoute>;
  writes: StageWrites;
  /** True for the stage that moves writes (runs the write switch). */
  switchesWrites: boolean;
  /** Consumers whose evidence the gate reads (the stage's `consumers`, default all). */
  scope: string[];
  gate: { maxMismatchRate?: number; minSamples?: number; bakeMs: number; approval: boolean };
}

/** A plan whose stages cannot run, in the words of the plan check: where, what, how to fix it. */
export interface StageProblem {
  /** Dotted path below the cutover phase, e.g. `stages[3].writes`. */
  field: string;
  message: string;
  fix: string;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function bakeMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : 0;
}

/** Where the stage before the first one leaves things: every consumer on legacy, writes on legacy. */
export function initialRouting(consumers: readonly string[]): { reads: Record<string, ReadRoute>; writes: StageWrites } {
  return { reads: Object.fromEntries(consumers.map((c) => [c, 'legacy' as ReadRoute])), writes: 'legacy' };
}

/**
 * Each stage with the routing it puts in force, and every reason the stages cannot run: writes
 * that move before every consumer reads from new (or in the same stage that moves reads), reads
 * that move after writes, and write routes other than a whole move (`legacy` or `new`).
 */
export function resolveStages(cutover: Pick<CutoverPhase, 'consumers' | 'stages'>): { stages: ResolvedStage[]; problems: StageProblem[] } {
  const problems: StageProblem[] = [];
  let { reads, writes } = initialRouting(cutover.consumers);
  let writesStage: string | undefined;
  const stages = cutover.stages.map((stage: Stage, index): ResolvedStage => {
    const scope = [...(stage.consumers ?? cutover.consumers)];
    let switchesWrites = false;
    if (stage.reads !== undefined) {
      if (writesStage !== undefined) {
        problems.push({ field: `stages[${index}].reads`, message: `stage "${stage.name}" moves reads after stage "${writesStage}" switched writes`, fix: `move stage "${stage.name}" before "${writesStage}": reads switch first, then writes` });
      }
      reads = { ...reads };
      for (const c of scope) reads[c] = stage.reads;
    }
    if (stage.writes !== undefined && stage.writes !== writes) {
      if (stage.writes !== 'legacy' && stage.writes !== 'new') {
        problems.push({ field: `stages[${index}].writes`, message: `stage "${stage.name}" routes writes ${JSON.stringify(stage.writes)}`, fix: 'writes move as a whole: use "writes: new" (the write switch)' });
      } else if (stage.writes === 'new') {
        const behind = Object.keys(reads).filter((c) => reads[c] !== 'new');
        if (stage.reads !== undefined || behind.length > 0) {
          const why = stage.reads !== undefined ? 'in the same stage that moves reads' : `before every consumer reads from new (still not: ${behind.join(', ')})`;
          problems.push({ field: `stages[${index}].writes`, message: `stage "${stage.name}" switches writes ${why}`, fix: 'add a stage with "reads: new" for every consumer before the writes stage; writes never switch before reads' });
        }
        writesStage = stage.name;
        switchesWrites = true;
        writes = 'new';
      } else {
        problems.push({ field: `stages[${index}].writes`, message: `stage "${stage.name}" moves writes back to legacy`, fix: 'roll writes back with `migrate cutover --abort`, not with a stage' });
      }
    }
    const g = stage.gate;
    return {
      index,
      name: stage.name,
      reads,
      writes,
      switchesWrites,
      scope,
      gate: {
        ...(g.maxMismatchRate !== undefined ? { maxMismatchRate: g.maxMismatchRate } : {}),
        ...(g.minSamples !== undefined ? { minSamples: g.minSamples } : {}),
        bakeMs: bakeMs(g.bake),
        approval: g.approval ?? false,
      },
    };
  });
  return { stages, problems };
}

/** Consumers whose reads are not `new` in `reads` (the write switch requires none). */
export function notReadingNew(reads: Readonly<Record<string, ReadRoute>>): string[] {
  return Object.keys(reads).filter((c) => reads[c] !== 'new');
}
