/** Reverse sync in `migrate status` and `migrate sync`: state, what reached the legacy, how far, refusals; the same line in the plain renderer. */
import { describe, expect, it } from 'vitest';
import { plainEntity } from '../../../src/ui/renderers/plain.js';
import { viewReverseSync } from '../../../src/ui/view.js';
import { running } from './fixtures.js';

describe('viewReverseSync', () => {
  it('Given a running reverse sync that reached the end of the feed, when viewed, then it says caught up, how far and how many own writes it skipped', () => {
    expect(viewReverseSync({ state: 'running', changes: 1_234, skippedOwn: 400, failed: 0, lag: { pending: 0, oldestSeconds: 0 }, appliedThrough: '2026-12-03T07:00:00.000Z', position: '2026-12-03T07:00:04.123456Z 17' })).toEqual({
      text: "reverse sync running · 1,234 written to the legacy · caught up · applied through 2026-12-03T07:00:00.000Z · position 2026-12-03T07:00:04.123456Z 17 · 400 of Tracer's own skipped",
      tone: 'active',
    });
  });

  it('Given refused items and changes waiting, when viewed, then it warns with the last refusal and the lag', () => {
    expect(viewReverseSync({ state: 'running', changes: 5, skippedOwn: 0, failed: 2, lastFailure: '9: field "status": value "lost" is not one of …', lag: { pending: 50, oldestSeconds: 3 } })).toEqual({
      text: 'reverse sync running · 5 written to the legacy · lag 50+ waiting, oldest 3s · 2 refused (last: 9: field "status": value "lost" is not one of …)',
      tone: 'warn',
    });
  });

  it('Given an entity status with a stopped reverse sync, when rendered plain, then the line is there', () => {
    const line = plainEntity({ ...running, reverseSync: { state: 'stopped', changes: 3, skippedOwn: 0, failed: 0 } });
    expect(line).toContain(' · reverse sync stopped · 3 written to the legacy');
  });
});
