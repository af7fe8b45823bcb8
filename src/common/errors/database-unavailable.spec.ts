import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['PostgreSQL shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['PostgreSQL starting', withCode('the database system is starting up', '57P03')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['a connection exception', withCode('connection failure', '08006')],
    [
      'a standby refusing writes after a failover',
      withCode('cannot execute UPDATE in a read-only transaction', '25006'),
    ],
    ['a pool ended at shutdown', new Error('Cannot use a pool after calling end on the pool')],
    [
      "TypeORM's PostgreSQL driver without its pool",
      Object.assign(new Error('Driver not Connected'), { name: 'TypeORMError' }),
    ],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a pool time-out', new Error('timeout exceeded when trying to connect')],
    ['SQLite locked past the busy timeout', withCode('SQLITE_BUSY: database is locked', 'SQLITE_BUSY')],
    ['a full disk', withCode('SQLITE_FULL: database or disk is full', 'SQLITE_FULL')],
    [
      'a query that failed for one of these',
      new QueryFailedError('SELECT 1', [], withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
    ],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a syntax error', withCode('syntax error at or near "SELEC"', '42601')],
    [
      'a protocol violation',
      withCode('bind message supplies 2 parameters, but prepared statement requires 3', '08P01'),
    ],
    ['a bad password for the database', withCode('password authentication failed for user "app"', '28P01')],
    ['a SQLite constraint', withCode('SQLITE_CONSTRAINT: UNIQUE constraint failed', 'SQLITE_CONSTRAINT')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'ECONNREFUSED'],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
