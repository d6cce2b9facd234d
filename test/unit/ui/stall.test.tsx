/**
 * Item 1, 3, 4 and 8 of "operator trust", as the renderers show them: a sweep held up says why
 * (cause, attempt, next try, fix) and drops its stale rate and ETA; unknown is not pending; a
 * verification past its sweep says what it does; the final frame agrees with the totals.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../../src/ui/components/Dashboard.js';
import { EntityRow } from '../../../src/ui/components/EntityRow.js';
import { SweepView } from '../../../src/ui/components/SweepView.js';
import { createBarRenderer, type BarRenderer } from '../../../src/ui/renderers/bar.js';
import { createPlainRenderer, plainEntity, plainSweep } from '../../../src/ui/renderers/plain.js';
import { renderJsonLine } from '../../../src/ui/renderers/json.js';
import { markStalled, STALL_AFTER_MS, type EntityStatus, type StallInfo, type SweepProgress } from '../../../src/progress.js';
import { backfill, NOW, running, snapshot } from './fixtures.js';
import { flat, frameOf } from './helpers.js';

/** Local wall-clock "HH:MM:SS", written independently of the code under test. */
const hhmmss = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

const targetDown: StallInfo = {
  cause: 'target',
  message: 'target "fulfillment" could not be reached for a write of 100 items: connect ECONNREFUSED 127.0.0.1:4567',
  fix: 'Tracer retries by itself; check that the service is up and healthy.',
  attempt: 4,
  nextRetryAt: NOW + 4_000,
};

const heldUp: EntityStatus = { ...running, backfill: backfill({ stall: targetDown, stalledSince: NOW - 40_000, ratePerSec: undefined, etaMs: undefined }) };

describe('a sweep held up by a failing activity', () => {
  it('given the target refusing connections, when the dashboard row is drawn, then it names the failure, attempt, next try and fix, and shows no rate or ETA but since when it stalled', () => {
    const f = flat(frameOf(<EntityRow status={heldUp} width={100} color={false} />));
    expect(f).toContain(`held up: target "fulfillment" could not be reached for a write of 100 items: connect ECONNREFUSED 127.0.0.1:4567 · attempt 4, next try ${hhmmss(NOW + 4_000)} · Tracer retries by itself; check that the service is up and healthy.`);
    expect(f).toContain(`stalled since ${hhmmss(NOW - 40_000)}`);
    expect(f).not.toContain('/s');
    expect(f).not.toContain('ETA');
  });

  it('given the same status, when rendered as a plain line, then it carries the same words', () => {
    const line = plainEntity(heldUp);
    expect(line).toContain(`held up: target "fulfillment" could not be reached`);
    expect(line).toContain('attempt 4');
    expect(line).toContain(`stalled since ${hhmmss(NOW - 40_000)}`);
    expect(line).not.toContain('ETA');
  });

  it('given the same status, when rendered as JSON, then the cause, attempt and next retry are fields a machine can read', () => {
    const doc = JSON.parse(renderJsonLine(snapshot([heldUp])));
    expect(doc.entities[0].backfill.stall).toEqual({ ...targetDown });
    expect(doc.entities[0].backfill.stalledSince).toBe(NOW - 40_000);
  });

  it('given no worker answering and no count seen yet, when drawn, then the counts are question marks, not zeros', () => {
    const unknownCounts = backfill({ done: 0, total: 0, partitions: [], countsUnknown: true, ratePerSec: undefined, etaMs: undefined, stall: { cause: 'no-worker', message: 'no worker polls task queue "migrate": the work waits in Temporal', fix: 'Start one with `migrate worker --plan plans/x.yaml`.' } });
    const line = plainSweep(unknownCounts, 'orders');
    expect(line).toContain('?/?');
    expect(line).toContain('held up: no worker polls task queue "migrate": the work waits in Temporal · Start one with `migrate worker --plan plans/x.yaml`.');
    expect(line).not.toContain('0/');
  });

  it('given a worker that recovered (no stall in the snapshot), when drawn, then the held-up line is gone and the rate is back', () => {
    const f = flat(frameOf(<EntityRow status={running} width={100} color={false} />));
    expect(f).not.toContain('held up');
    expect(f).not.toContain('stalled');
    expect(f).toContain('1,840/s');
  });
});

describe('markStalled', () => {
  it('given a running sweep whose count last grew longer ago than the stall threshold, when marked, then its rate and ETA go and it is stalled since then', () => {
    const p = markStalled(backfill({ lastProgressAt: NOW - STALL_AFTER_MS - 1 }), NOW);
    expect(p.stalledSince).toBe(NOW - STALL_AFTER_MS - 1);
    expect(p.ratePerSec).toBeUndefined();
    expect(p.etaMs).toBeUndefined();
  });

  it('given a running sweep that progressed a few seconds ago, when marked, then it keeps its rate and ETA', () => {
    const p = markStalled(backfill({ lastProgressAt: NOW - 5_000 }), NOW);
    expect(p.stalledSince).toBeUndefined();
    expect(p.ratePerSec).toBe(1840);
  });

  it('given a paused sweep that has not progressed for long, when marked, then it is paused, not stalled', () => {
    expect(markStalled(backfill({ state: 'paused', lastProgressAt: NOW - 600_000 }), NOW).stalledSince).toBeUndefined();
  });
});

describe('unknown is not pending', () => {
  it('given Temporal not answering, when the dashboard draws an entity whose state could not be read, then it says unknown and which system, with no next command', () => {
    const unknown: EntityStatus = { entity: 'orders', phase: 'unknown', dependsOn: [], unknownBecause: 'Temporal at 127.0.0.1:7233 is not answering (connect ECONNREFUSED)' };
    const f = flat(frameOf(<Dashboard snapshot={snapshot([unknown])} width={100} color={false} />));
    expect(f).toContain('orders unknown');
    expect(f).toContain('state unknown: Temporal at 127.0.0.1:7233 is not answering (connect ECONNREFUSED)');
    expect(f).not.toContain('pending');
    expect(f).not.toContain('next:');
  });

  it('given a poll that failed, when the dashboard shows reconnecting, then the banner says which system did not answer', () => {
    const f = flat(frameOf(<Dashboard snapshot={snapshot([running])} reconnecting reconnectReason="the state store is not answering (connect ECONNREFUSED 127.0.0.1:5432)" width={120} color={false} />));
    expect(f).toContain('reconnecting… showing data from');
    expect(f).toContain('the state store is not answering (connect ECONNREFUSED 127.0.0.1:5432)');
  });

  it('given a watched plan losing Temporal, when the plain renderer writes the reconnecting line, then it says which system', () => {
    const out: string[] = [];
    const stream = new Writable({ write: (c: Buffer, _e, done) => (out.push(c.toString()), done()) });
    const plain = createPlainRenderer(stream, { now: () => NOW });
    plain.update(snapshot([running]));
    plain.update({ ...snapshot([running]), connection: 'reconnecting', message: 'Temporal at 127.0.0.1:7233 is not answering (no answer within 5 s)' });
    expect(out.join('')).toMatch(/plan .*: reconnecting… showing data from \d\d:\d\d:\d\d — Temporal at 127\.0\.0\.1:7233 is not answering \(no answer within 5 s\)/);
  });
});

describe('final and late frames of a verification', () => {
  const verifyDone = (overrides: Partial<SweepProgress>): SweepProgress => ({
    kind: 'verify',
    state: 'running',
    done: 2_000,
    total: 2_000,
    totalIsEstimate: false,
    failures: 0,
    mismatches: 12,
    partitions: [0, 1].map((index) => ({ index, done: 1_000, total: 1_000, state: 'completed' as const })),
    updatedAt: NOW,
    ...overrides,
  });

  it('given a verification re-checking after its sweep, when the attached view is drawn, then it says so instead of a bare running 100%', () => {
    const f = flat(frameOf(<SweepView sweep={verifyDone({ step: "re-checking rows that differed (round 1 of 2, after the plan's recheckAfter wait)" })} title="customers" width={100} color={false} />));
    expect(f).toContain("re-checking rows that differed (round 1 of 2, after the plan's recheckAfter wait)");
  });

  it('given a completed sweep, when its final frame is drawn, then every partition shows completed at 100% and none running', () => {
    const f = frameOf(<SweepView sweep={verifyDone({ state: 'completed' })} title="customers" width={100} color={false} />);
    const partitionLines = f.split('\n').filter((l) => /^\s+p\d/.test(l));
    expect(partitionLines).toHaveLength(2);
    for (const l of partitionLines) expect(l).toMatch(/100% completed\s+1,000\/1,000/);
    expect(f).not.toContain('running');
  });
});

describe('bar renderer final frame', () => {
  let renderer: BarRenderer | undefined;
  afterEach(() => renderer?.stop());

  it('given partition bars from a running frame, when a final frame comes without partitions, then the stale partition lines are removed', () => {
    const chunks: string[] = [];
    const stream = new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c.toString()), done()) }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
    stream.isTTY = true;
    stream.columns = 100;
    renderer = createBarRenderer(stream);
    renderer.update(backfill());
    renderer.update(backfill({ state: 'completed', done: 2_000_000, total: 2_000_000, totalIsEstimate: false, partitions: [] }));
    const before = chunks.length;
    renderer.stop();
    const final = chunks.slice(before).join('').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '\n');
    expect(final).toContain('100% 2,000,000/2,000,000');
    expect(final).not.toMatch(/\bp[0-3]\b/);
  });
});
