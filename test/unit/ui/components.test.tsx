import { describe, expect, it } from 'vitest';
import { Dashboard, KEY_LEGEND } from '../../../src/ui/components/Dashboard.js';
import { EntityRow } from '../../../src/ui/components/EntityRow.js';
import { ProgressBar, barText } from '../../../src/ui/components/ProgressBar.js';
import { SweepView } from '../../../src/ui/components/SweepView.js';
import type { PartitionProgress } from '../../../src/progress.js';
import {
  backfill,
  completedOverEstimate,
  failed,
  fullSnapshot,
  notStarted,
  pausedByFlag,
  running,
  runningNoEta,
  snapshot,
  verifiedWithMismatches,
} from './fixtures.js';
import { flat, frameOf, lineWidths } from './helpers.js';

const row = (status: Parameters<typeof EntityRow>[0]['status'], extra: Partial<Parameters<typeof EntityRow>[0]> = {}) =>
  frameOf(<EntityRow status={status} width={80} color={false} {...extra} />);

describe('ProgressBar', () => {
  it('given a fraction past 1 (done beyond a low estimate), when drawn, then it fills exactly its width and no more', () => {
    expect(barText(1.4, 10)).toBe('██████████');
  });

  it('given 99.9% done, when drawn, then the last cell stays empty so only finished work looks finished', () => {
    expect(barText(0.999, 10)).toBe('█████████░');
  });

  it('given a width, when rendered by Ink, then the bar occupies exactly that many columns', () => {
    expect([...frameOf(<ProgressBar fraction={0.5} width={24} color={false} />)].length).toBe(24);
  });
});

describe('EntityRow', () => {
  it('given an entity with no workflow yet, when rendered, then it says not started, what it waits for and what to run', () => {
    const f = row(notStarted);
    expect(f).toContain('not started · after orders');
    expect(f).toContain('next: migrate backfill --entity refunds');
    expect(f).not.toMatch(/\d+%/);
  });

  it('given a running backfill with enough samples, when rendered, then it shows counts with ~ estimate, rate and ETA', () => {
    const f = row(running);
    expect(f).toContain('62%');
    expect(f).toContain('1,241,500/~2,000,000');
    expect(f).toContain('1,840/s');
    expect(f).toContain('ETA 6m 52s');
    expect(f).toContain('0 failures');
  });

  it('given a running backfill without a rate yet, when rendered, then it shows no rate and no ETA figure', () => {
    const f = row(runningNoEta);
    expect(f).toContain('ETA —');
    expect(f).not.toMatch(/ETA \d/);
    expect(f).not.toMatch(/\/s\b/);
  });

  it('given a backfill paused by its flag, when rendered, then it names the flag and the reason', () => {
    expect(flat(row(pausedByFlag))).toContain(
      'paused by flag payments.backfill (off): flag turned off by alice@example.com: payments API latency alert',
    );
  });

  it('given a failed backfill, when rendered, then it shows the reason and the failure count', () => {
    const f = row(failed);
    expect(f).toContain('failed: target rejected batch 412 with 422: field "carrier" is required');
    expect(f).toContain('500 failures');
  });

  it('given a completed backfill whose done exceeded the estimate, when rendered, then it shows 100% and done/done, never more', () => {
    const f = row(completedOverEstimate);
    expect(f).toContain('100%');
    expect(f).toContain('48,210/48,210');
    expect(f).not.toMatch(/10[1-9]%|1[1-9]\d%/);
    expect(f).not.toContain('~');
  });

  it('given a clean last verification, when rendered, then it shows ✓ clean with the compared count', () => {
    expect(row(completedOverEstimate)).toContain('last verify ✓ clean of 48,210 · 3 transient');
  });

  it('given persistent mismatches in the last verification, when rendered, then it shows ✗ with persistent and transient counts', () => {
    expect(row(verifiedWithMismatches)).toContain('last verify ✗ 41 persistent mismatches of 310,000 · 8 transient');
  });

  it('given a known workflow URL, when rendered, then the link is shown in full', () => {
    expect(row(running, { width: 120 })).toContain('workflow http://localhost:8233/namespaces/default/workflows/backfill-orders');
  });

  it('given no workflow URL, when rendered, then no workflow line appears', () => {
    expect(row(failed)).not.toContain('workflow');
  });

  it('given a pause request in flight, when rendered, then the row says pausing…', () => {
    expect(row(running, { pending: 'pausing' })).toContain('pausing…');
  });

  it('given the selected row, when rendered without colour, then a marker still shows which one it is', () => {
    expect(row(running, { selected: true }).split('\n')[0]).toMatch(/^▸ orders/);
  });
});

describe('Dashboard', () => {
  it('given a reconnecting snapshot, when rendered, then a reconnecting banner shows above the kept data', () => {
    const f = frameOf(<Dashboard snapshot={{ ...fullSnapshot, connection: 'reconnecting' }} width={80} color={false} />);
    expect(f).toMatch(/reconnecting… showing data from \d\d:\d\d:\d\d/);
    expect(f).toContain('orders');
  });

  it('given a connected snapshot, when rendered, then there is no reconnecting banner', () => {
    expect(frameOf(<Dashboard snapshot={fullSnapshot} width={80} color={false} />)).not.toContain('reconnecting');
  });

  it('given a snapshot, when rendered, then the plan name, every entity and the key legend are shown', () => {
    const f = frameOf(<Dashboard snapshot={fullSnapshot} width={80} color={false} />);
    expect(f).toContain('plan orders-to-fulfillment');
    for (const e of fullSnapshot.entities) expect(f).toContain(e.entity);
    expect(f).toContain(KEY_LEGEND);
    expect(KEY_LEGEND).toBe('↑/↓ select · p pause/resume · q detach');
  });

  it('given a 60-column terminal, when every state is rendered, then no line is wider than 60 and the key facts survive', () => {
    const f = frameOf(<Dashboard snapshot={fullSnapshot} selected="orders" width={60} color={false} />);
    expect(Math.max(...lineWidths(f))).toBeLessThanOrEqual(60);
    expect(f).toContain('ETA 6m 52s');
    expect(f).toContain('paused by flag payments.backfill (off)');
    expect(f).toContain('✗ 41 persistent mismatches');
    expect(f).toMatch(/▸ orders\s+backfilling █+░+\s+62%/);
  });

  it('given a long entity name at 60 columns, when rendered, then the name is cut with … and the bar keeps its place', () => {
    const long = { ...running, entity: 'customer_loyalty_programme_memberships' };
    const f = frameOf(<Dashboard snapshot={snapshot([long])} width={60} color={false} />);
    expect(Math.max(...lineWidths(f))).toBeLessThanOrEqual(60);
    expect(f).toMatch(/customer_loyalty_pr…\s+backfilling █/);
  });
});

describe('SweepView', () => {
  it('given a running sweep, when attached, then totals and one mini row per partition are shown', () => {
    const f = frameOf(<SweepView sweep={backfill()} title="orders" width={60} color={false} />);
    expect(f).toContain('backfill orders · running');
    expect(f).toContain('62% 1,241,500/~2,000,000');
    expect(f).toMatch(/p0\s+█+ 100% completed\s+500,000\/500,000/);
    expect(f).toMatch(/p3\s+░+\s+0% not-started 0\/~500,000/);
    expect(Math.max(...lineWidths(f))).toBeLessThanOrEqual(60);
  });

  it('given more partitions than fit, when attached, then active ones keep rows and the rest collapse into a summary', () => {
    const parts: PartitionProgress[] = Array.from({ length: 32 }, (_, index) => ({
      index,
      done: index === 30 ? 10 : 100,
      total: 100,
      state: index === 30 ? 'running' : 'completed',
    }));
    const f = frameOf(<SweepView sweep={backfill({ partitions: parts })} title="orders" width={60} color={false} maxPartitions={4} />);
    expect(f).toMatch(/p30\s+█/);
    expect(f).toContain('+28 more: 28 completed, 0 waiting');
  });

  it('given a sweep paused by its flag, when attached, then the flag and reason are shown', () => {
    const f = frameOf(<SweepView sweep={pausedByFlag.backfill!} title="payments" width={60} color={false} />);
    expect(f).toContain('paused by flag payments.backfill (off)');
  });
});
