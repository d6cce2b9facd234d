/**
 * The demo's phase sequence for one entity, every phase and every approval through the real CLI:
 * capture → backfill → forward sync → verify → cutover (shadow, canary, reads, writes; approvals
 * given as an operator would) → retire. One function, so that a workflow walking the phases by
 * itself (`migrate run`, issue 14) can replace the middle of it without touching the rest of the demo.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CutoverProgress } from '../src/workflows/cutoverWorkflow.js';
import { DemoStop, type DemoCli } from './demo-cli.js';

export interface LifecycleHooks {
  /** The first routing is published: start the consumer apps and their load. */
  consumersUp(): Promise<void>;
  /** Writes are on the service and every stage is through: stop the load before retiring. */
  loadDone(): Promise<void>;
}

/** How long the whole cutover may take before the demo gives up (it is minutes with the demo plan's gates). */
const CUTOVER_LIMIT_MS = 8 * 60_000;
/** Re-evaluations of an inconclusive gate the demo asks for before it gives up. */
const MAX_RESUMES = 20;
/** Where `migrate cutover` stops following (src/commands/cutover.ts): the demo acts there. */
const NEEDS_PERSON = new Set(['approval', 'paused', 'complete', 'aborted']);

export async function walkLifecycle(cli: DemoCli, entity: string, hooks: LifecycleHooks): Promise<void> {
  const e = ['--entity', entity];

  cli.step('The plan', 'What the plan file says, and where each entity stands (nothing started yet).');
  await cli.must(['plan']);

  cli.step(
    'Change capture',
    'Triggers on the legacy table record every insert, update and delete from now on, so nothing written\nwhile the copy runs is missed (the DDL is printed first; --yes answers the question).',
  );
  await cli.must(['sync', ...e, '--install', '--yes']);

  cli.step('Backfill', 'Every legacy row is copied into the new service through its API, behind the flag orders.backfill.');
  await cli.must(['backfill', ...e], { limitMs: 5 * 60_000, waitingFor: 'the backfill' });

  cli.step('Forward sync', 'The sync workflow applies the captured changes to the service and keeps doing so until writes switch.');
  await cli.must(['sync', ...e]);

  cli.step('Verify', 'Both copies are swept and compared field by field; rows changed during the sweep are re-checked.');
  await cli.must(['verify', ...e], { limitMs: 5 * 60_000, waitingFor: 'the verification' });

  cli.step('The cutover, before it starts', 'Every step the cutover will take, with what each check answers today. Nothing changes.');
  await cli.must(['cutover', ...e, '--dry-run']);

  cli.step(
    'Cutover starts: shadow reads',
    'The first stage publishes routing epoch 1: consumers read the legacy and compare the service\'s answer\nin the background ("shadow"); writes stay on the legacy, and forward sync carries them over.',
  );
  await cli.must(['cutover', ...e, '--detach']);
  await hooks.consumersUp();

  cli.step('Verify again, under load', 'The same sweep while the apps write: their changes reach the service through sync and are re-checked.');
  await cli.must(['verify', ...e], { limitMs: 5 * 60_000, waitingFor: 'the verification' });

  await followCutover(cli, entity);

  cli.step(
    'Sync after the switch',
    'Both directions: forward sync (legacy → service) has nothing new to carry, since the apps no longer write to the\nlegacy; reverse sync (service → legacy) keeps the legacy in step, so rolling writes back would lose nothing.',
  );
  await cli.must(['sync', ...e]);

  await hooks.loadDone();

  cli.step('Retire', 'Writes and every consumer\'s reads are on the service: retire stops reverse sync, removes the capture triggers\nand says what the team may now delete.');
  await retire(cli, entity);
}

/** Follows the cutover attached; at each place it needs a person the demo acts as the operator, through the CLI. */
async function followCutover(cli: DemoCli, entity: string): Promise<void> {
  const e = ['--entity', entity];
  const deadline = Date.now() + CUTOVER_LIMIT_MS;
  let resumes = 0;
  let rollbacks = 0;
  let first = true;
  cli.step('Follow the cutover', 'The cutover publishes each stage, waits for both apps to acknowledge it, bakes, and evaluates the gate\non the evidence the apps report. The demo follows it and steps in where it needs a person.');
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new DemoStop(`the cutover did not finish within ${CUTOVER_LIMIT_MS / 60_000} minutes; \`npx migrate cutover --entity ${entity}\` shows what it waits for.`);
    let p = await cli.json<CutoverProgress>(['cutover', ...e, '--detach']);
    // Attached whenever it moves on by itself, and the first time so its block shows; after a
    // control command whose answer already showed where it stopped, not again.
    if (first || !NEEDS_PERSON.has(p.step)) {
      first = false;
      await cli.must(['cutover', ...e], { limitMs: Math.min(left, 4 * 60_000), waitingFor: 'the cutover (it waits for what its last block says)' });
      p = await cli.json<CutoverProgress>(['cutover', ...e, '--detach']);
    }
    if (p.step === 'complete' && p.writes === 'new') {
      cli.say(`\n[demo] Every stage is through: reads and writes of ${entity} are on the new service (epoch ${p.epoch}).`);
      return;
    }
    if (p.step === 'approval' && p.stage !== undefined) {
      cli.step(
        `Approval of stage ${p.stage}`,
        `Stage ${p.stage} passed its gate and waits for a person. The demo approves it as an operator would, naming\nthe stage and epoch it saw: an approval that no longer matches where the cutover is gets refused.`,
      );
      await cli.must(['cutover', ...e, '--approve', '--stage', p.stage, '--epoch', String(p.epoch), '--reason', `demo: stage ${p.stage} looks right`]);
      continue;
    }
    if (p.step === 'paused' && p.paused?.by === 'gate' && resumes < MAX_RESUMES) {
      resumes += 1;
      cli.say(`\n[demo] The gate has not enough evidence yet (${p.waitingFor.join('; ') || p.paused.reason}); a gate never passes on missing evidence.\n[demo] The apps keep running; in 5 s the demo asks for the gate to be evaluated again.`);
      await sleep(5_000);
      await cli.must(['cutover', ...e, '--resume', '--reason', 'demo: more evidence collected']);
      continue;
    }
    if (p.step === 'paused' && p.paused?.by === 'rollback' && rollbacks < 2) {
      rollbacks += 1;
      cli.say(`\n[demo] A gate failed and the cutover rolled the routing back by itself: ${p.paused.reason}.\n[demo] \`npx migrate consumer report --entity ${entity}\` shows the mismatches; the demo runs the stage again.`);
      await cli.must(['cutover', ...e, '--resume', '--reason', 'demo: run the stage again']);
      continue;
    }
    throw new DemoStop(`the cutover stopped at step ${p.step}${p.paused ? ` (${p.paused.by}: ${p.paused.reason})` : ''}, which the demo does not handle; \`npx migrate cutover --entity ${entity}\` shows it.`);
  }
}

/** Retire is refused while an app has not acknowledged the routing in force yet: asked again a few times. */
async function retire(cli: DemoCli, entity: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const code = await cli.run(['retire', '--entity', entity, '--yes', '--reason', 'demo: the service owns orders']);
    if (code === 0) return;
    if (attempt >= 10) throw new DemoStop(`\`migrate retire --entity ${entity}\` was refused ${attempt} times (exit ${code}); its last answer says why.`);
    cli.say('[demo] Refused for now; the demo asks again in 3 s.');
    await sleep(3_000);
  }
}
