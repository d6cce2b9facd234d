import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteTable } from '../../../src/sources/quote.js';

describe('quoteIdent', () => {
  it('Given a PostgreSQL identifier with a double quote, When quoted, Then the quote is doubled inside double quotes', () => {
    expect(quoteIdent('postgres', 'we"ird')).toBe('"we""ird"');
  });

  it('Given a MySQL identifier with a backtick, When quoted, Then the backtick is doubled inside backticks', () => {
    expect(quoteIdent('mysql', 'we`ird')).toBe('`we``ird`');
  });

  it('Given a reserved word with mixed case, When quoted for PostgreSQL, Then case is kept', () => {
    expect(quoteIdent('postgres', 'Order')).toBe('"Order"');
  });

  it('Given an empty identifier, When quoted, Then it throws', () => {
    expect(() => quoteIdent('mysql', '')).toThrow(/empty/);
  });
});

describe('quoteTable', () => {
  it('Given a schema, When quoting a table, Then both parts are quoted and dotted', () => {
    expect(quoteTable('postgres', { schema: 'legacy', table: 'orders' })).toBe('"legacy"."orders"');
    expect(quoteTable('mysql', { schema: 'legacy', table: 'orders' })).toBe('`legacy`.`orders`');
  });

  it('Given no schema, When quoting a table, Then only the table is quoted', () => {
    expect(quoteTable('mysql', { table: 'orders' })).toBe('`orders`');
  });
});
