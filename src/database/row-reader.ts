import type { Pool } from 'pg';
import type { Database } from 'sqlite3';
import { QueryFailedError, type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { SqliteDriver } from 'typeorm/driver/sqlite/SqliteDriver';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { numberPlaceholders } from './placeholders';

/** Column types both drivers answer as strings, which TypeORM hydrates unchanged. */
const TEXT_TYPES = new Set(['varchar', 'character varying', 'text', 'uuid']);

/** The digit at `at` of `text`, or NaN. */
function digit(text: string, at: number): number {
  const value = text.charCodeAt(at) - 48;
  return value >= 0 && value <= 9 ? value : NaN;
}

const digits = (text: string, at: number, count: number) => {
  let value = 0;
  for (let i = at; i < at + count; i++) value = value * 10 + digit(text, i);
  return value;
};

/**
 * TypeORM's `YYYY-MM-DD HH:MM:SS.mmm` UTC text as a Date, or undefined for any other form. Read digit by digit: it
 * is a few times faster than parsing the text as ISO, and a page of 20 conversations has 40 of them.
 */
function sqliteTime(text: string): Date | undefined {
  if (text.length !== 23 || text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':')
    return undefined;
  if (text[16] !== ':' || text[19] !== '.') return undefined;
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hours = digits(text, 11, 2);
  const minutes = digits(text, 14, 2);
  const seconds = digits(text, 17, 2);
  // Out of range (or not digits: NaN), Date.UTC would carry over where the ISO parser refuses.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hours <= 23 && minutes <= 59 && seconds <= 59)) {
    return undefined;
  }
  const time = Date.UTC(digits(text, 0, 4), month - 1, day, hours, minutes, seconds, digits(text, 20, 3));
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * SQL texts given a statement name on PostgreSQL, per process. Readers are built from a few fixed templates (a
 * dozen texts in all); the bound keeps what each connection holds on the server small whatever happens, and
 * later texts simply run unnamed.
 */
const NAMED_STATEMENTS = 100;

/** A read as PostgreSQL is sent it: `$n` placeholders, and the name its connections prepare it under. */
interface PostgresStatement {
  text: string;
  name?: string;
}

/** By the `?` text the repositories write; kept, so that the text is rewritten once, not on every call. */
const postgresStatements = new Map<string, PostgresStatement>();

function postgresStatement(sql: string): PostgresStatement {
  const known = postgresStatements.get(sql);
  if (known) return known;
  const text = numberPlaceholders(sql);
  if (postgresStatements.size >= NAMED_STATEMENTS) return { text };
  const statement = { text, name: `colloquy_read_${postgresStatements.size + 1}` };
  postgresStatements.set(sql, statement);
  return statement;
}

/**
 * Reads an entity's rows from hand-written SQL, for the busiest reads. The query builder spends more CPU
 * building the SQL and hydrating its aliased result than the database spends answering a short indexed read;
 * here the SQL is plain text, kept prepared (see run), and each value is converted by TypeORM's driver
 * exactly as when it loads the entity (SQLite's datetime text and 0/1 booleans, for instance).
 * `properties` limits it to some of the entity's columns.
 */
export class RowReader<E extends ObjectLiteral, K extends keyof E & string = keyof E & string> {
  private readonly fields: { name: string; property: string; convert: (value: unknown) => unknown }[];
  private readonly postgres: boolean;

  constructor(
    private readonly dataSource: DataSource,
    target: EntityTarget<E>,
    properties?: readonly K[],
  ) {
    this.postgres = dataSource.options.type === 'postgres';
    this.fields = dataSource
      .getMetadata(target)
      .columns.filter((column) => !properties || properties.includes(column.propertyName as K))
      .map((column) => ({ name: column.databaseName, property: column.propertyName, convert: this.converter(column) }));
  }

  /** The columns for a SELECT list, `c."id", c."owner_id", ...` with `alias` c. */
  columns(alias: string): string {
    return this.fields.map((field) => `${alias}."${field.name}"`).join(', ');
  }

  /** Runs `sql` (with `?` placeholders), in `manager`'s transaction if given, and answers its rows as entities. */
  async query(sql: string, parameters: unknown[], manager?: EntityManager): Promise<Pick<E, K>[]> {
    return (await this.rows(sql, parameters, manager)).map((row) => this.read(row));
  }

  /**
   * `query`'s rows as the driver answers them, for a SELECT with more than the entity's columns; see `read`.
   * `planEachCall` keeps PostgreSQL from running the statement on a plan made once for any values (see `run`):
   * for SQL whose best plan depends on them, such as a recursive walk bounded by a parameter.
   */
  async rows(
    sql: string,
    parameters: unknown[],
    manager?: EntityManager,
    planEachCall = false,
  ): Promise<Record<string, unknown>[]> {
    const statement = this.postgres ? postgresStatement(sql) : undefined;
    const text = statement ? statement.text : sql;
    const name = planEachCall ? undefined : statement?.name;
    return manager
      ? manager.query<Record<string, unknown>[]>(text, parameters)
      : this.run(text, parameters, name).catch((error: unknown) => {
          throw new QueryFailedError(text, parameters, error as Error);
        });
  }

  /** The entity's columns of one row, converted as TypeORM converts them when it loads the entity. */
  read(row: Record<string, unknown>): Pick<E, K> {
    const entity: Record<string, unknown> = {};
    for (const { name, property, convert } of this.fields) entity[property] = convert(row[name]);
    return entity as Pick<E, K>;
  }

  /** How a column's value is converted: as TypeORM's driver does it, with the two commonest cases done directly. */
  private converter(column: ColumnMetadata): (value: unknown) => unknown {
    const typeorm = (value: unknown) => this.dataSource.driver.prepareHydratedValue(value, column);
    if (column.transformer) return typeorm;
    if (TEXT_TYPES.has(String(column.type))) return (value) => value;
    if (!this.postgres && (column.type === 'datetime' || column.type === Date)) {
      // SQLite keeps times as `YYYY-MM-DD HH:MM:SS.mmm` UTC text; the driver tests it against two regular
      // expressions before it makes the same Date, which was a few per cent of a list request's CPU.
      return (value) => (typeof value === 'string' && sqliteTime(value)) || typeorm(value);
    }
    return typeorm;
  }

  /**
   * Outside a transaction the query goes straight to the driver's connection (SQLite) or pool (PostgreSQL), the
   * ones TypeORM's query runner would use: the runner's events, logging hooks and bookkeeping cost a short read
   * more CPU than the driver does.
   *
   * On PostgreSQL the text is sent as a named statement, which each connection parses once and may then run from
   * a generic plan, instead of parsing and planning it on every call: for these short indexed reads that was more
   * than half of the server's CPU per query. Only these fixed reads are named: a query whose best plan depends on
   * its values (a search) stays with TypeORM, planned per call. sqlite3 statements are kept by sqliteDriver.
   */
  private run(sql: string, parameters: unknown[], name: string | undefined): Promise<Record<string, unknown>[]> {
    if (this.postgres) {
      const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
      return pool.query<Record<string, unknown>>({ name, text: sql, values: parameters }).then((result) => result.rows);
    }
    const database = (this.dataSource.driver as SqliteDriver).databaseConnection as Database;
    return new Promise((resolve, reject) =>
      database.all<Record<string, unknown>>(sql, parameters, (error, rows) => (error ? reject(error) : resolve(rows))),
    );
  }
}
