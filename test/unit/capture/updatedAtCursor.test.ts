/**
 * The statements of capture by updatedAt, in both dialects: a pass's page (from the overlap's
 * floor, after the pass's own progress, in (updatedAt, key) order, the plan's `where` last), the
 * floor itself, and the lag past the cursor. Timestamps travel as fixed-width UTC text.
 */
import { describe, expect, it } from 'vitest';
import { advanceCursor, buildFloor, buildLag, buildScan } from '../../../src/capture/updatedAtCursor.js';

const source = { table: 'orders', key: ['tenant', 'id'], updatedAt: 'updated_at', where: "status <> 'X'" };
const cursorAt = '2026-12-03 07:00:00.000000';
const after = { at: '2026-12-03 07:00:01.000000', key: ['a', 7] };

describe('buildScan', () => {
  it('Given a cursor and the pass’s progress on PostgreSQL, when a page is built, then it reads from the overlap before the cursor (or the clock), after the progress, in (updatedAt, key) order', () => {
    expect(buildScan('postgres', source, { cursorAt, overlapMs: 5_000, after }, 500)).toEqual({
      sql:
        `SELECT "tenant", "id", to_char("updated_at", 'YYYY-MM-DD HH24:MI:SS.US') AS "_tracer_at" FROM "orders"` +
        ` WHERE "updated_at" >= (LEAST($1::timestamp, LOCALTIMESTAMP) - $2 * interval '1 microsecond') AND ("updated_at", "tenant", "id") > ($3, $4, $5) AND (status <> 'X')` +
        ` ORDER BY "updated_at", "tenant", "id" LIMIT 500`,
      params: [cursorAt, 5_000_000, after.at, 'a', 7],
    });
  });

  it('Given the same on MariaDB, when a page is built, then the progress is OR-expanded behind an index guard and the floor uses UTC_TIMESTAMP', () => {
    expect(buildScan('mysql', source, { cursorAt, overlapMs: 5_000, after }, 500)).toEqual({
      sql:
        "SELECT `tenant`, `id`, DATE_FORMAT(`updated_at`, '%Y-%m-%d %H:%i:%s.%f') AS `_tracer_at` FROM `orders`" +
        ' WHERE `updated_at` >= (LEAST(CAST(? AS DATETIME(6)), UTC_TIMESTAMP(6)) - INTERVAL ? MICROSECOND)' +
        ' AND `updated_at` >= ? AND (`updated_at` > ? OR (`updated_at` = ? AND `tenant` > ?) OR (`updated_at` = ? AND `tenant` = ? AND `id` > ?))' +
        " AND (status <> 'X') ORDER BY `updated_at`, `tenant`, `id` LIMIT 500",
      params: [cursorAt, 5_000_000, after.at, after.at, after.at, 'a', after.at, 'a', 7],
    });
  });

  it('Given no cursor yet, when the first page is built, then it reads from the start of the table', () => {
    expect(buildScan('postgres', { table: 'orders', key: ['id'], updatedAt: 'updated_at' }, { overlapMs: 5_000 }, 10).sql).toBe(
      `SELECT "id", to_char("updated_at", 'YYYY-MM-DD HH24:MI:SS.US') AS "_tracer_at" FROM "orders" ORDER BY "updated_at", "id" LIMIT 10`,
    );
  });
});

describe('buildFloor and buildLag', () => {
  it('Given a cursor, when the floor is built, then it is the overlap before the cursor or the clock, as the same text', () => {
    expect(buildFloor('mysql', cursorAt, 250)).toEqual({
      sql: "SELECT DATE_FORMAT((LEAST(CAST(? AS DATETIME(6)), UTC_TIMESTAMP(6)) - INTERVAL ? MICROSECOND), '%Y-%m-%d %H:%i:%s.%f') AS `_tracer_at`",
      params: [cursorAt, 250_000],
    });
  });

  it('Given a cursor, when the lag is built, then it counts the rows past it and ages the oldest by the database clock', () => {
    expect(buildLag('postgres', source, after)).toEqual({
      sql: `SELECT count(*)::int AS n, coalesce(extract(epoch FROM clock_timestamp() - min("updated_at")), 0)::float8 AS s FROM "orders" WHERE ("updated_at", "tenant", "id") > ($1, $2, $3) AND (status <> 'X')`,
      params: [after.at, 'a', 7],
    });
  });
});

describe('advanceCursor', () => {
  it('Given a page ending at an older timestamp than the cursor (the overlap), when advanced, then the cursor stays; at the same or a newer one, it moves', () => {
    const cursor = { at: '2026-12-03 07:00:05.000000', key: [9] };
    expect(advanceCursor(cursor, { at: '2026-12-03 07:00:04.000000', key: [99] })).toBe(cursor);
    expect(advanceCursor(cursor, { at: '2026-12-03 07:00:05.000000', key: [10] })).toEqual({ at: '2026-12-03 07:00:05.000000', key: [10] });
    expect(advanceCursor(undefined, { at: '2026-12-03 07:00:01.000000', key: [1] })).toEqual({ at: '2026-12-03 07:00:01.000000', key: [1] });
  });
});
