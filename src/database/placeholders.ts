import type { DataSource } from 'typeorm';

/** Rewritten texts kept at most: the app's SQL is a few dozen templates, so this is only a bound. */
const KEPT = 500;

/** By the `?` text the repositories write, so that a text is rewritten once, not on every call. */
const numbered = new Map<string, string>();

/** The text with PostgreSQL's numbered placeholders ($1, $2, …) in place of its `?`s. */
export function numberPlaceholders(sql: string): string {
  const known = numbered.get(sql);
  if (known !== undefined) return known;
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  if (numbered.size < KEPT) numbered.set(sql, text);
  return text;
}

/**
 * Hand-written SQL as the data source's database takes it: the repositories write `?` placeholders, which SQLite
 * takes as they are and PostgreSQL wants numbered. No `?` may appear in the text but as a placeholder.
 */
export function sqlFor(dataSource: DataSource, sql: string): string {
  return dataSource.options.type === 'postgres' ? numberPlaceholders(sql) : sql;
}
