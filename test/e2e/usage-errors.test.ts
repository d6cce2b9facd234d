/** Usage errors as a user meets them: a mistyped option is named, with the option it resembles. */
import { describe, expect, it } from 'vitest';
import { runMigrate } from '../support/processes.js';

describe('usage errors', () => {
  it('given a typo in a required option (--entiy), when backfill runs, then it says the option is unknown and suggests --entity', async () => {
    const r = await runMigrate(['backfill', '--entiy', 'orders'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--entiy'");
    expect(r.stderr).toContain('(Did you mean --entity?)');
    expect(r.stderr).not.toContain('required option');
  });

  it('given a typo in an optional option of a subcommand (--reson), when flags set runs, then it suggests --reason', async () => {
    const r = await runMigrate(['flags', 'set', 'orders.backfill', 'off', '--reson', 'x'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--reson'");
    expect(r.stderr).toContain('(Did you mean --reason?)');
  });

  it('given no --entity at all, when failures runs, then it still says the required option is missing', async () => {
    const r = await runMigrate(['failures'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: required option '--entity <name>' not specified");
  });
});
