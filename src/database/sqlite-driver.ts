import { LRUCache } from 'lru-cache';
import sqlite3 from 'sqlite3';

/** Distinct SQL texts kept prepared per connection; the app's queries are templates, so a few dozen in practice. */
const PREPARED_TEXTS = 128;

/**
 * Statements prepared per SQL text. sqlite3 runs one call of a statement at a time and starts the next only once
 * the event loop has taken the previous one's rows, so a single statement would idle the database between the
 * calls of concurrent requests; as many as libuv's default thread pool keeps them all in flight.
 */
const COPIES = 4;

const IMMEDIATE = 'BEGIN IMMEDIATE TRANSACTION';
const RETURNING = /\breturning\b/i;

type RowsCallback = (this: sqlite3.Statement, error: Error | null, rows: unknown[]) => void;

interface Prepared {
  statement: sqlite3.Statement;
  /** Calls given to it and not answered yet. */
  running: number;
  /** Callbacks queued before it is prepared: a failed prepare drops them, so they are answered here. */
  waiting: RowsCallback[] | null;
  /** Prepared without error: only then can it be reset. */
  prepared: boolean;
}

const Statement = sqlite3.Statement as unknown as new (
  database: sqlite3.Database,
  sql: string,
  // Unlike Database#prepare, which reports errors only, the constructor reports success too.
  callback: (error: Error | null) => void,
) => sqlite3.Statement;

/**
 * A Database that keeps the statements TypeORM runs prepared. TypeORM calls `all(sql, parameters, callback)` for
 * every read and `run` for every INSERT, UPDATE and DELETE, and sqlite3 compiles a new statement for each call and
 * finalizes it after: about an eighth of the CPU of a simple authenticated read in a profile. Here statements are compiled once per SQL text and reused,
 * for up to PREPARED_TEXTS texts (those of the least recently used text are finalized).
 *
 * Reuse is safe: a statement runs to completion in `all`, and a write without RETURNING in `run`'s single step, so
 * it holds no lock or snapshot between calls; each call resets it and replaces every binding (only calls with a
 * non-empty parameter list are cached, since sqlite3 keeps the previous bindings when given none); `run` answers
 * with the statement as `this`, which carries `changes` and `lastID` as the connection's `run` does; sqlite3 queues
 * the calls of one statement, and SQLite re-prepares a statement by itself after a schema change. `exec` is left
 * as it is.
 */
class CachingDatabase extends sqlite3.Database {
  private readonly prepared = new LRUCache<string, Prepared[]>({
    max: PREPARED_TEXTS,
    // Queued behind each statement's pending calls, so it never cuts one short.
    dispose: (copies) => copies.forEach((copy) => copy.statement.finalize()),
  });

  override all(sql: string, ...args: unknown[]): this {
    // TypeORM begins a deferred transaction, which takes the write lock only at its first write. When another
    // process has committed since the transaction's first read, that write fails at once with SQLITE_BUSY (its
    // snapshot is stale; the busy timeout does not apply). An immediate transaction takes the lock at BEGIN,
    // waiting up to the busy timeout for another process's transaction to end. Within a process transactions
    // already run one at a time (TransactionRunner), so this costs nothing there.
    if (sql === 'BEGIN TRANSACTION') return super.all(IMMEDIATE, ...args);
    return this.cached('all', sql, args) ?? super.all(sql, ...args);
  }

  override run(sql: string, ...args: unknown[]): this {
    // A statement with RETURNING stops at its first row in `run`, unfinished: it would hold its lock.
    if (RETURNING.test(sql)) return super.run(sql, ...args);
    return this.cached('run', sql, args) ?? super.run(sql, ...args);
  }

  /** Runs the call on a prepared copy of the statement; undefined when the call is not one that is cached. */
  private cached(method: 'all' | 'run', sql: string, args: unknown[]): this | undefined {
    const [parameters, callback] = args;
    if (args.length !== 2 || !Array.isArray(parameters) || parameters.length === 0 || typeof callback !== 'function') {
      return undefined;
    }
    const copy = this.copyFor(sql);
    copy.running += 1;
    const answer: RowsCallback = function (error, rows) {
      copy.running -= 1;
      if (!error || !copy.prepared) return (callback as RowsCallback).call(this, error, rows);
      // A statement that failed mid-step (SQLITE_BUSY) stays active until it is reset: a write would keep the
      // connection from ever committing again. sqlite3's own one-off statements are finalized, which resets them.
      this.reset(() => (callback as RowsCallback).call(this, error, rows));
    };
    copy.waiting?.push(answer);
    if (method === 'all') copy.statement.all(parameters, answer);
    else copy.statement.run(parameters, answer);
    return this;
  }

  /** Finalizes every cached statement first: SQLite refuses to close a connection with statements left open. */
  override close(callback?: (error: Error | null) => void): void {
    this.prepared.clear();
    super.close(callback);
  }

  /** An idle copy of the statement, a new one while there are fewer than COPIES, else the least busy. */
  private copyFor(sql: string): Prepared {
    let copies = this.prepared.get(sql);
    if (!copies) {
      copies = [];
      this.prepared.set(sql, copies);
    }
    const idle = copies.find((copy) => copy.running === 0);
    if (idle) return idle;
    if (copies.length < COPIES) return this.addCopy(sql, copies);
    return copies.reduce((least, copy) => (copy.running < least.running ? copy : least));
  }

  private addCopy(sql: string, copies: Prepared[]): Prepared {
    const copy: Prepared = {
      statement: undefined as unknown as sqlite3.Statement,
      running: 0,
      waiting: [],
      prepared: false,
    };
    copy.statement = new Statement(this, sql, (error) => {
      const waiting = copy.waiting ?? [];
      copy.waiting = null;
      copy.prepared = !error;
      if (!error) return;
      // sqlite3 has finalized the statement and dropped the calls queued on it without answering them.
      copies.splice(copies.indexOf(copy), 1);
      if (copies.length === 0 && this.prepared.peek(sql) === copies) this.prepared.delete(sql);
      for (const callback of waiting) callback.call(copy.statement, error, []);
    });
    copies.push(copy);
    return copy;
  }
}

/**
 * The sqlite3 module as TypeORM's `driver`. TypeORM calls `verbose()` on it, which in sqlite3 wraps every query
 * call to capture a stack trace and `util.inspect` its arguments, for richer error stacks: that cost about a fifth
 * of the CPU of a simple authenticated read. Errors still carry the SQL through TypeORM's QueryFailedError.
 */
export function sqliteDriver(): typeof sqlite3 {
  const driver: typeof sqlite3 = Object.assign(Object.create(sqlite3) as typeof sqlite3, {
    Database: CachingDatabase,
    verbose: () => driver,
  });
  return driver;
}
