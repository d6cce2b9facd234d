/**
 * `migrate plan` tells unknown from pending (issue 9, item 3): when the system that holds the state
 * does not answer, every entity is `unknown` and stderr says which system — never `pending` with
 * exit 0 and no word, as it did while the real state was `verified`.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMigrate } from '../support/processes.js';
import { freePort } from '../../src/temporal/devServer.js';

const PLAN = path.resolve(import.meta.dirname, '../../plans/orders-postgres.yaml');

describe('migrate plan when the live state cannot be read', () => {
  it('Given TEMPORAL_ADDRESS pointing at a port nothing listens on, When planned, Then every entity is unknown and stderr names Temporal and its address', async () => {
    const port = await freePort();
    const home = mkdtempSync(path.join(tmpdir(), 'tracer-home-'));
    const r = await runMigrate(['plan', '--plan', PLAN], { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, MIGRATE_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. customers  unknown');
    expect(r.stdout).toContain('2. orders  unknown  (after customers)');
    expect(r.stdout).toContain(`   next   state unknown: cannot reach Temporal at 127.0.0.1:${port}`);
    expect(r.stdout).not.toContain('pending');
    expect(r.stderr).toContain(`warning: live state unavailable (cannot reach Temporal at 127.0.0.1:${port}`);
    expect(r.stderr).toContain('every entity is shown as unknown');
  });

  it('Given a folder whose local Temporal server kept state but is not running, When planned, Then every entity is unknown and says the local server is not running', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'tracer-home-'));
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, 'temporal.db'), '');
    const r = await runMigrate(['plan', '--plan', PLAN], { TEMPORAL_ADDRESS: undefined, MIGRATE_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. customers  unknown');
    expect(r.stdout).toContain(`state unknown: the local Temporal server is not running (its state is in ${path.join(home, 'temporal.db')})`);
    expect(r.stdout).not.toContain('pending');
    expect(r.stderr).toContain('note: state unknown: the local Temporal server is not running');
  });

  it('Given a folder where no local server ever ran, When planned, Then every entity is truly pending and nothing is said about it', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'tracer-home-'));
    const r = await runMigrate(['plan', '--plan', PLAN], { TEMPORAL_ADDRESS: undefined, MIGRATE_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. customers  pending');
    expect(r.stderr).toBe('');
  });
});
