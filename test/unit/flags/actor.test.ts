import { describe, expect, it } from 'vitest';
import { currentActor } from '../../../src/flags/actor.js';

describe('currentActor', () => {
  it('Given MIGRATE_ACTOR, when asked, then it is the actor whatever the user and host', () => {
    expect(currentActor({ MIGRATE_ACTOR: 'ci:deploy-bot', USER: 'root' }, () => 'box')).toBe('ci:deploy-bot');
  });

  it('Given only USER, when asked, then the actor is user@host', () => {
    expect(currentActor({ USER: 'alice' }, () => 'laptop')).toBe('alice@laptop');
  });

  it('Given a blank MIGRATE_ACTOR, when asked, then it falls back to user@host', () => {
    expect(currentActor({ MIGRATE_ACTOR: '  ', LOGNAME: 'bob' }, () => 'srv')).toBe('bob@srv');
  });

  it('Given a host lookup that fails, when asked, then the host is localhost and nothing throws', () => {
    expect(
      currentActor({ USER: 'carol' }, () => {
        throw new Error('no hostname');
      }),
    ).toBe('carol@localhost');
  });
});
