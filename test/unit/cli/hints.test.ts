/**
 * Every hint is a command that works: each `next:` command the status model and `migrate plan` can
 * print, for every entity phase and the sub-states that change the hint, is parsed by the real
 * commander program (actions replaced, so nothing runs). A hint naming a command, subcommand or
 * option that does not exist fails here.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/program.js';
import { cutoverCommand, nextCommand, syncCommand } from '../../../src/ops/status.js';
import { resolveStages } from '../../../src/cutover/stages.js';
import { cutoverNextCommand, type CutoverStep } from '../../../src/workflows/cutoverWorkflow.js';
import { describePlan } from '../../../src/plan/describe.js';
import { runCommands } from '../../../src/lifecycle/runSteps.js';
import { parsePlan } from '../../../src/plan/load.js';
import type { EntityPhase, EntityStatus, SweepProgress, SyncStatus, VerificationSummary } from '../../../src/progress.js';
import { MINIMAL_PLAN } from '../plan/helpers.js';

// Every phase of the status model; `satisfies` fails to compile when a phase is added and not listed.
const PHASES = Object.keys({
  unknown: 1, pending: 1, backfilling: 1, backfilled: 1, verifying: 1, verified: 1, paused: 1, failed: 1, 'cut-over': 1, retired: 1,
} satisfies Record<EntityPhase, 1>) as EntityPhase[];

// Every sync state; `satisfies` fails to compile when a state is added and not listed.
const SYNC_STATES = Object.keys({ running: 1, paused: 1, stopped: 1, 'not-started': 1 } satisfies Record<SyncStatus['state'], 1>) as SyncStatus['state'][];

// Every cutover step; `satisfies` fails to compile when a step is added and not listed.
const CUTOVER_STEPS = Object.keys({
  publish: 1, acks: 1, bake: 1, gate: 1, approval: 1, 'write-switch': 1, paused: 1, complete: 1, aborted: 1,
} satisfies Record<CutoverStep, 1>) as CutoverStep[];

const sweep = (kind: 'backfill' | 'verify', state: SweepProgress['state']): SweepProgress => ({ kind, state, done: 1, total: 2, totalIsEstimate: false, failures: 0, partitions: [], updatedAt: 0, reason: 'a reason' });
const verification = (passed: boolean): VerificationSummary =>
  ({ reportId: 'r1', at: 1, compared: 10, matched: passed ? 10 : 8, missing: 0, different: passed ? 0 : 2, extra: 0, transient: 0, persistent: passed ? 0 : 2, passed }) as unknown as VerificationSummary;

/** Parses `command` with the real program whose actions do nothing; returns the leaf command reached. */
async function parseWithRealProgram(command: string): Promise<string> {
  const program = buildProgram();
  let reached = '';
  const stub = (cmd: Command, path: string) => {
    cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    if (path) cmd.action(() => void (reached = path));
    for (const sub of cmd.commands) stub(sub, `${path} ${sub.name()}`.trim());
  };
  stub(program, '');
  const words = command.split(/\s+/);
  expect(words[0]).toBe('migrate');
  await program.parseAsync(['node', ...words]);
  return reached;
}

/** Every `next` command the status model gives, and `migrate plan` prints, for each phase and variant. */
function everyHint(): { where: string; command: string }[] {
  const plan = parsePlan(MINIMAL_PLAN, 'p.yaml', {});
  const out: { where: string; command: string }[] = [];
  const lasts = [undefined, verification(true), verification(false)];
  const sweeps: Partial<EntityStatus>[] = [{}, { backfill: sweep('backfill', 'paused') }, { verify: sweep('verify', 'paused') }, { backfill: sweep('backfill', 'failed') }, { verify: sweep('verify', 'running') }];
  for (const entity of Object.keys(plan.entities)) {
    for (const phase of PHASES) {
      for (const last of lasts) {
        const next = nextCommand(entity, phase, last);
        if (next) out.push({ where: `status ${entity} ${phase} last=${last?.passed}`, command: next });
        for (const extra of sweeps) {
          // With and without the status model's own next command, as `migrate plan` receives it.
          for (const withNext of [false, true]) {
            const status: EntityStatus = { entity, phase, dependsOn: [], ...extra, ...(last ? { lastVerification: last } : {}), ...(withNext && next ? { next } : {}) };
            const step = describePlan(plan, { [entity]: status }).entities.find((e) => e.name === entity)!.next;
            if (step.command) out.push({ where: `plan ${entity} ${phase} ${JSON.stringify(Object.keys(extra))} last=${last?.passed}`, command: step.command });
          }
        }
      }
    }
  }
  // The sync line's command, for each sync state with changes waiting, none waiting and no lag read.
  for (const entity of Object.keys(plan.entities)) {
    for (const state of SYNC_STATES) {
      for (const lag of [undefined, { pending: 0, oldestSeconds: 0 }, { pending: 12, oldestSeconds: 40 }]) {
        const command = syncCommand(entity, { state, ...(lag ? { lag } : {}) });
        if (command) out.push({ where: `sync ${entity} ${state} pending=${lag?.pending}`, command });
      }
    }
  }
  // The cutover's next command (from the workflow, as status and plan show it), for every step, before and at a stage; and starting one.
  const { stages } = resolveStages({ consumers: ['billing'], stages: [{ name: 'shadow', reads: 'shadow', gate: {} }, { name: 'reads', reads: 'new', gate: { approval: true } }] });
  for (const entity of Object.keys(plan.entities)) {
    for (const step of CUTOVER_STEPS) {
      for (const inForce of [-1, 1]) {
        const next = cutoverNextCommand(entity, { step, stages, inForce, epoch: 7 });
        const command = cutoverCommand(entity, 'verified', { step, ...(next ? { next } : {}) });
        if (command) out.push({ where: `cutover ${entity} ${step} stage=${inForce}`, command });
      }
    }
    const start = cutoverCommand(entity, 'verified', undefined);
    if (start) out.push({ where: `cutover ${entity} not started`, command: start });
  }
  // What `migrate run` names as its next command at each step, and what `migrate plan` says starts it.
  for (const entity of Object.keys(plan.entities)) {
    for (const [why, command] of Object.entries(runCommands(entity))) out.push({ where: `run ${entity} ${why}`, command });
    const preview = describePlan(plan).entities.find((e) => e.name === entity)!.run!;
    out.push({ where: `plan run ${entity}`, command: preview.command });
  }
  return out;
}

describe('hints', () => {
  const hints = everyHint();
  const distinct = [...new Set(hints.map((h) => h.command))];

  it('given the status model, then it produces hints to check (the enumeration is not empty)', () => {
    expect(distinct.length).toBeGreaterThanOrEqual(6);
  });

  it.each(distinct)('given the hint `%s`, when the real program parses it, then it is accepted and reaches a command', async (command) => {
    await expect(parseWithRealProgram(command)).resolves.not.toBe('');
  });

  it('given the checker, when a hint names a command that does not exist, then it is refused (the check can fail)', async () => {
    await expect(parseWithRealProgram('migrate teleport --entity customers')).rejects.toThrow(/unknown command/);
    await expect(parseWithRealProgram('migrate status --entity customers')).rejects.toThrow(/unknown option/);
  });

  it('given a sync that is not running while changes wait, then its hint resumes a paused one and starts a stopped one', () => {
    const sync = hints.filter((h) => h.where.startsWith('sync '));
    expect(sync.map((h) => h.command)).toContain('migrate sync --entity customers --resume');
    expect(sync.map((h) => h.command)).toContain('migrate sync --entity customers');
    expect(sync.filter((h) => / running /.test(h.where))).toEqual([]);
  });

  it('given a cutover waiting for approval, then its hint approves that stage at that epoch; a paused one resumes; a complete one gives none', () => {
    const cut = hints.filter((h) => h.where.startsWith('cutover customers '));
    expect(cut.find((h) => h.where === 'cutover customers approval stage=1')?.command).toBe('migrate cutover --entity customers --approve --stage reads --epoch 7');
    expect(cut.find((h) => h.where === 'cutover customers paused stage=1')?.command).toBe('migrate cutover --entity customers --resume');
    expect(cut.find((h) => h.where === 'cutover customers not started')?.command).toBe('migrate cutover --entity customers');
    expect(cut.filter((h) => / complete | aborted /.test(h.where))).toEqual([]);
  });

  it('given a running verification, then no hint starts another verification', () => {
    const running = hints.filter((h) => / verifying /.test(h.where));
    expect(running.length).toBeGreaterThan(0);
    expect(running.filter((h) => h.command.startsWith('migrate verify'))).toEqual([]);
  });
});
