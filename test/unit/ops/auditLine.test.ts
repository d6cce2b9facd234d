import { describe, expect, it } from 'vitest';
import { describeEntry } from '../../../src/commands/audit.js';

describe('audit lines for routing publishes', () => {
  it('Given a routing.publish entry, when printed, then it reads the epochs and the routes in words', () => {
    const line = describeEntry({
      at: new Date('2026-12-01T10:00:00.000Z'),
      plan: 'p',
      entity: 'orders',
      action: 'routing.publish',
      actor: 'alice',
      reason: 'canary',
      detail: { epoch: 8, previousEpoch: 7, reads: { billing: 'new 20%', reporting: 'shadow' }, otherReads: 'legacy', writes: 'legacy' },
    });
    expect(line).toBe('2026-12-01T10:00:00Z  alice  orders  routing epoch 7 → 8: billing new 20%, reporting shadow, others legacy; writes legacy  — canary');
  });

  it('Given the first publish, when printed, then the previous epoch reads none', () => {
    const line = describeEntry({ plan: 'p', entity: 'orders', action: 'routing.publish', actor: 'a', detail: { epoch: 1, previousEpoch: null, custom: true } });
    expect(line).toContain('routing epoch none → 1: custom targeting');
  });
});
