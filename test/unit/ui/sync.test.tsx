/**
 * Forward sync in `migrate status`: the words the view model gives a sync's state, applied changes
 * and lag, the warning when capture records changes that no running sync applies, and the same line
 * in the Ink row and the plain renderer.
 */
import { describe, expect, it } from 'vitest';
import { EntityRow } from '../../../src/ui/components/EntityRow.js';
import { plainEntity } from '../../../src/ui/renderers/plain.js';
import { viewSync } from '../../../src/ui/view.js';
import type { EntityStatus, SyncStatus } from '../../../src/progress.js';
import { running } from './fixtures.js';
import { flat, frameOf } from './helpers.js';

const withSync = (sync: SyncStatus): EntityStatus => ({ ...running, sync });

describe('viewSync', () => {
  it('Given a running sync with changes pending, when viewed, then it shows state, changes applied and the lag', () => {
    expect(viewSync({ state: 'running', changes: 12_345, failed: 0, captureInstalled: true, lag: { pending: 40, oldestSeconds: 75 } })).toEqual({
      text: 'sync running · 12,345 applied · lag 40 pending, oldest 1m 15s',
      tone: 'active',
    });
  });

  it('Given a running sync with nothing pending, when viewed, then it says caught up', () => {
    expect(viewSync({ state: 'running', changes: 3, failed: 1, captureInstalled: true, lag: { pending: 0, oldestSeconds: 0 } })).toEqual({
      text: 'sync running · 3 applied · 1 failed · caught up',
      tone: 'active',
    });
  });

  it('Given a paused sync while capture records changes, when viewed, then it warns and names the resume command', () => {
    const v = viewSync({
      state: 'paused',
      reason: 'flag orders.sync is off',
      changes: 10,
      failed: 0,
      captureInstalled: true,
      lag: { pending: 7, oldestSeconds: 30 },
      next: 'migrate sync --entity orders --resume',
    });
    expect(v).toEqual({
      text: 'sync paused: flag orders.sync is off · 10 applied · lag 7 pending, oldest 30s · capture still records changes: run migrate sync --entity orders --resume',
      tone: 'warn',
    });
  });

  it('Given a stopped sync and nothing pending, when viewed, then it is quiet (no warning)', () => {
    expect(viewSync({ state: 'stopped', changes: 10, failed: 0, captureInstalled: true, lag: { pending: 0, oldestSeconds: 0 } })).toEqual({
      text: 'sync stopped · 10 applied · caught up',
      tone: 'dim',
    });
  });

  it('Given sync never started and capture not installed, when viewed, then it says both', () => {
    expect(viewSync({ state: 'not-started', changes: 0, failed: 0, captureInstalled: false })).toEqual({
      text: 'sync not started · 0 applied · capture not installed',
      tone: 'dim',
    });
  });

  it('Given a running sync by updatedAt, when viewed, then it says hard deletes are not seen', () => {
    expect(viewSync({ state: 'running', changes: 8, failed: 0, capture: 'updatedAt', lag: { pending: 0, oldestSeconds: 0 } })).toEqual({
      text: 'sync running · 8 applied · caught up · hard deletes not seen (capture: updatedAt)',
      tone: 'active',
    });
  });

  it('Given a stopped sync by updatedAt while rows changed since, when viewed, then it warns that changed rows wait (nothing records them) and names the start command', () => {
    expect(viewSync({ state: 'stopped', changes: 8, failed: 0, capture: 'updatedAt', lag: { pending: 3, oldestSeconds: 12 }, next: 'migrate sync --entity orders' })).toEqual({
      text: 'sync stopped · 8 applied · lag 3 pending, oldest 12s · hard deletes not seen (capture: updatedAt) · changed rows wait: run migrate sync --entity orders',
      tone: 'warn',
    });
  });

  it('Given the legacy database did not answer the lag read, when viewed, then it says the lag is the last batch’s', () => {
    expect(viewSync({ state: 'running', changes: 5, failed: 0, captureUnreadable: 'connection refused', lag: { pending: 2, oldestSeconds: 4 } }).text).toBe(
      'sync running · 5 applied · lag 2 pending, oldest 4s · lag not read now (connection refused), shown as of the last batch',
    );
  });
});

describe('sync in the status row', () => {
  const stopped: SyncStatus = { state: 'stopped', changes: 1_000, failed: 0, captureInstalled: true, lag: { pending: 250, oldestSeconds: 3_700 }, next: 'migrate sync --entity orders' };

  it('Given a stopped sync with changes piling up, when the Ink row renders, then it shows the lag and the command to start sync', () => {
    const frame = flat(frameOf(<EntityRow status={withSync(stopped)} width={200} color={false} />));
    expect(frame).toContain('sync stopped · 1,000 applied · lag 250 pending, oldest 1h 1m · capture still records changes: run migrate sync --entity orders');
  });

  it('Given an entity without a sync phase, when the Ink row renders, then no sync line appears', () => {
    expect(frameOf(<EntityRow status={running} width={200} color={false} />)).not.toContain('sync');
  });

  it('Given the same stopped sync, when the plain renderer writes the line, then it has the same words', () => {
    expect(plainEntity(withSync(stopped))).toContain('· sync stopped · 1,000 applied · lag 250 pending, oldest 1h 1m · capture still records changes: run migrate sync --entity orders ·');
  });
});
