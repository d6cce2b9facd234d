/**
 * Identifier quoting for the two dialects. Plan identifiers are already restricted by the schema,
 * but quoting everything (and doubling embedded quotes) keeps reserved words and mixed case safe.
 */

export type DialectName = 'postgres' | 'mysql';

/** `"name"` for PostgreSQL, `` `name` `` for MySQL, with embedded quote characters doubled. */
export function quoteIdent(dialect: DialectName, name: string): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  if (name.includes('\0')) throw new Error('SQL identifier contains a NUL character');
  return dialect === 'postgres' ? `"${name.replaceAll('"', '""')}"` : `\`${name.replaceAll('`', '``')}\``;
}

/** The quoted, optionally schema-qualified table name. */
export function quoteTable(dialect: DialectName, table: { schema?: string | undefined; table: string }): string {
  const t = quoteIdent(dialect, table.table);
  return table.schema ? `${quoteIdent(dialect, table.schema)}.${t}` : t;
}
