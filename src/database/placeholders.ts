import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';

/**
 * By the `?` text the repositories write, so that a text is rewritten once, not on every call. Most texts are
 * fixed; those built per call (an `IN` list per length) come and go without pushing the busy ones out.
 */
const numbered = new LRUCache<string, string>({ max: 500 });

/** The text with PostgreSQL's numbered placeholders ($1, $2, …) in place of its `?`s. */
export function numberPlaceholders(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, text);
  }
  return text;
}

/**
 * Hand-written SQL as the data source's database takes it: the repositories write `?` placeholders, which SQLite
 * takes as they are and PostgreSQL wants numbered. No `?` may appear in the text but as a placeholder.
 */
export function sqlFor(dataSource: DataSource, sql: string): string {
  return dataSource.options.type === 'postgres' ? numberPlaceholders(sql) : sql;
}
