import { Client, type ClientConfig } from 'pg';

/**
 * Distinct SQL texts given a name per process. The app's queries are templates (a few dozen in practice); the
 * bound keeps what each connection holds on the server small whatever happens, and later texts simply run unnamed.
 */
const NAMED_STATEMENTS = 200;

/**
 * Starts SQL that PostgreSQL must plan for its parameter values each time, where a plan made once would be wrong
 * for other values (a search, whose best plan depends on how common the searched word is).
 */
export const PLANNED_PER_CALL = '/* planned per call */ ';

const names = new Map<string, string>();

function statementName(text: string): string | undefined {
  if (text.startsWith(PLANNED_PER_CALL)) return undefined;
  let name = names.get(text);
  if (!name && names.size < NAMED_STATEMENTS) {
    name = `colloquy_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/**
 * The pg Client for TypeORM's pool (`extra.Client`). TypeORM sends every query as unnamed SQL text, which
 * PostgreSQL parses and plans again on each call: for the short indexed reads of a page that is more than half of
 * the server's CPU per query. Here each parameterized text gets a name, so each connection prepares it once and
 * PostgreSQL may reuse a generic plan; pg keeps track of what each connection has prepared.
 */
export class PreparingClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
      const name =
        typeof text === 'string' && Array.isArray(values) && values.length > 0 ? statementName(text) : undefined;
      return name ? query({ name, text, values }, ...rest) : query(text, values, ...rest);
    }) as Client['query'];
  }
}
