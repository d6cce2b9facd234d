import { describe, expect, it } from 'vitest';
import { describePlan, renderPlanText } from '../../../src/plan/describe.js';
import { parsePlan } from '../../../src/plan/load.js';
import type { EntityStatus } from '../../../src/progress.js';
import { MINIMAL_PLAN } from './helpers.js';

const plan = parsePlan(MINIMAL_PLAN, 'p.yaml', {});
const status = (entity: string, phase: EntityStatus['phase'], extra: Partial<EntityStatus> = {}): EntityStatus => ({ entity, phase, dependsOn: [], ...extra });

describe('describePlan', () => {
  it('Given a live sync state, When described and rendered, Then the document carries it and the text shows it in the words it is given, before the next step', () => {
    const sync = { state: 'paused' as const, changes: 4, failed: 0, captureInstalled: true, lag: { pending: 9, oldestSeconds: 12 }, next: 'migrate sync --entity orders --resume' };
    const doc = describePlan(plan, { orders: status('orders', 'backfilled', { sync }) });
    expect(doc.entities[1]!.sync).toEqual(sync);
    expect(doc.entities[0]!.sync).toBeUndefined();
    const lines = renderPlanText(doc, { syncLine: (s) => `sync ${s.state} with ${s.lag!.pending} pending` });
    const at = lines.indexOf('   now    sync paused with 9 pending');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^   next /);
    // Without a formatter (or a sync) there is no such line.
    expect(renderPlanText(doc).some((l) => l.includes('now '))).toBe(false);
  });


  it('Given no statuses, When described, Then every entity is pending in dependency order and the first backfill is next', () => {
    const doc = describePlan(plan, undefined, 'p.yaml');
    expect(doc.plan).toEqual({ name: 'fixture', version: 1, file: 'p.yaml' });
    expect(doc.entities.map((e) => [e.order, e.name, e.state])).toEqual([
      [1, 'customers', 'pending'],
      [2, 'orders', 'pending'],
    ]);
    expect(doc.entities[0]!.next).toEqual({ command: 'migrate backfill --entity customers', reason: 'ready to backfill', waitingFor: [] });
    expect(doc.entities[1]!.next.waitingFor).toEqual(['customers']);
  });

  it('Given a backfilled dependency, When described, Then its dependant no longer waits and it is due for verification', () => {
    const doc = describePlan(plan, { customers: status('customers', 'backfilled') });
    expect(doc.entities[0]!.next.command).toBe('migrate verify --entity customers');
    expect(doc.entities[1]!.next.waitingFor).toEqual([]);
  });

  it('Given an entity with neither verify nor cutover phase that is backfilled, When described, Then no command is named and the reason says why nothing more runs', () => {
    const doc = describePlan(plan, { orders: status('orders', 'backfilled') });
    expect(doc.entities[1]!.next).toEqual({ reason: 'nothing more to run: the plan gives this entity no cutover phase, so its writes stay on the legacy and there is nothing to retire', waitingFor: [] });
  });

  it('Given a cut-over entity with a cutover phase, When described, Then the next step is retire', () => {
    const doc = describePlan(plan, { customers: status('customers', 'cut-over') });
    expect(doc.entities[0]!.next).toEqual({ command: 'migrate retire --entity customers', reason: 'cut over: ready to retire', waitingFor: [] });
  });

  it('Given a verified entity with a cutover phase, When described, Then the next step starts the cutover', () => {
    const doc = describePlan(plan, { customers: status('customers', 'verified') });
    expect(doc.entities[0]!.next).toEqual({ command: 'migrate cutover --entity customers', reason: 'ready to cut over', waitingFor: [] });
  });

  it('Given a paused verification, When described, Then the next step shows status (a verification has no flag to resume) and says why', () => {
    const verify = { kind: 'verify' as const, state: 'paused' as const, reason: 'target refused credentials', done: 1, total: 2, totalIsEstimate: false, failures: 0, partitions: [], updatedAt: 0 };
    const doc = describePlan(plan, { customers: status('customers', 'paused', { verify }) });
    expect(doc.entities[0]!.next).toMatchObject({ command: 'migrate status', reason: 'verification paused: target refused credentials' });
  });

  it('Given a running verification, When described, Then the next step watches it rather than starting a second one', () => {
    const doc = describePlan(plan, { customers: status('customers', 'verifying') });
    expect(doc.entities[0]!.next).toMatchObject({ command: 'migrate status --watch', reason: 'verification running' });
  });

  it('Given a status that names its own next command, When described, Then that command wins', () => {
    const doc = describePlan(plan, { customers: status('customers', 'verified', { next: 'migrate backfill --entity customers --restart' }) });
    expect(doc.entities[0]!.next.command).toBe('migrate backfill --entity customers --restart');
  });

  it('Given a retired entity, When described, Then there is no command', () => {
    const doc = describePlan(plan, { customers: status('customers', 'retired') });
    expect(doc.entities[0]!.next).toEqual({ reason: 'done', waitingFor: [] });
  });

  it('Given phases with defaults, When described, Then each phase has a one-line summary with its key settings', () => {
    const doc = describePlan(plan);
    expect(doc.entities[1]!.phases).toEqual([{ kind: 'backfill', summary: 'batchSize 500 · partitions 4 · flag orders.backfill', settings: { batchSize: 500, partitions: 4, flag: 'orders.backfill' } }]);
  });

  it('Given a source URL with a password, When described, Then the document shows it masked', () => {
    const withPassword = parsePlan(MINIMAL_PLAN.replace('postgres://postgres@127.0.0.1:5432/legacy', 'postgres://app:s3cr3t-pw@db:5432/legacy'), 'p.yaml', {});
    expect(JSON.stringify(describePlan(withPassword))).not.toContain('s3cr3t-pw');
  });
});

describe('renderPlanText', () => {
  it('Given the minimal plan, When rendered, Then each entity shows its phases, stages and next step', () => {
    const text = renderPlanText(describePlan(plan, undefined, 'p.yaml')).join('\n');
    expect(text).toContain('1. customers  pending');
    expect(text).toContain('   backfill batchSize 100 · partitions 2 · flag customers.backfill');
    expect(text).toContain('            writes: writes new');
    expect(text).toContain('2. orders  pending  (after customers)');
    expect(text).toContain('   next   migrate backfill --entity orders   (once customers is backfilled)');
  });
});

describe('what migrate run would do (plan)', () => {
  it('Given nothing started, When described, Then customers’ run would backfill next, then verify, cut over and wait for retire, and orders’ would wait for customers to be backfilled', () => {
    const doc = describePlan(plan, undefined, 'p.yaml');
    const customers = doc.entities[0]!.run!;
    expect(customers.command).toBe('migrate run --entity customers');
    expect(customers.steps.map((s) => [s.name, s.state])).toEqual([
      ['backfill', 'next'],
      ['verify', 'then'],
      ['cutover', 'then'],
      ['retire', 'then'],
    ]);
    expect(customers.waitingFor).toEqual([]);
    expect(doc.entities[1]!.run!.steps.map((s) => [s.name, s.state])).toEqual([['backfill', 'next']]);
    expect(doc.entities[1]!.run!.waitingFor).toEqual(['customers to be backfilled']);

    const text = renderPlanText(doc);
    const at = text.indexOf('   run    `migrate run --entity customers` would:');
    expect(at).toBeGreaterThan(0);
    expect(text[at + 1]).toBe('            next  backfill  turn flag customers.backfill on and backfill customers (skipped when its backfill already finished)');
    expect(text[at + 2]).toMatch(/^ {12}then  verify    verify customers; stop for a person/);
    expect(text).toContain('            waits for customers to be backfilled');
  });

  it('Given customers verified and orders backfilled, When described, Then customers’ run would cut over next and orders’ has nothing left to do', () => {
    const doc = describePlan(plan, { customers: status('customers', 'verified'), orders: status('orders', 'backfilled') });
    expect(doc.entities[0]!.run!.steps.map((s) => s.state)).toEqual(['done', 'done', 'next', 'then']);
    expect(renderPlanText(doc)).toContain('   run    nothing left for `migrate run --entity orders` to do');
  });

  it('Given a live run waiting for an approval, When described, Then the preview follows the run (its done steps, its wait, its next command) rather than the states', () => {
    const run = { step: 'cutover', state: 'waiting' as const, done: ['backfill', 'verify'], waitingFor: ['cutover at approval of stage reads, epoch 4: approval of stage reads at epoch 4'], next: 'migrate cutover --entity customers --approve --stage reads --epoch 4' };
    const doc = describePlan(plan, { customers: status('customers', 'verified', { run }) });
    const r = doc.entities[0]!.run!;
    expect(r.live).toEqual(run);
    expect(r.steps.map((s) => [s.name, s.state])).toEqual([
      ['backfill', 'done'],
      ['verify', 'done'],
      ['cutover', 'next'],
      ['retire', 'then'],
    ]);
    const text = renderPlanText(doc);
    expect(text).toContain('   run    running: at cutover · next: migrate cutover --entity customers --approve --stage reads --epoch 4');
    expect(text).toContain('            waits for cutover at approval of stage reads, epoch 4: approval of stage reads at epoch 4');
  });
});
