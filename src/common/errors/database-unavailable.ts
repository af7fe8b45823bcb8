/** Node's codes for a connection that could not be made or was lost (PostgreSQL over the network). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLite's codes for a database it cannot use right now: locked by another process past the busy timeout, a disk
 * that is full, failing or read-only, a file it cannot open.
 */
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY']);

/**
 * PostgreSQL's SQLSTATEs for a server that cannot serve now: connection exceptions (not 08P01, a protocol
 * violation, which is a client's bug), too many connections, a full disk, out of memory, a server shutting down,
 * crashed, starting or ending idle sessions, and a standby after a failover refusing writes.
 */
const POSTGRES_CODES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53100',
  '53200',
  '53300',
  '57P01',
  '57P02',
  '57P03',
  '57P05',
  '25006',
]);

/** TypeORM's errors for a data source that is not (or no longer) connected. */
const NOT_CONNECTED = new Set(['CannotExecuteNotConnectedError', 'ConnectionIsNotSetError']);

/**
 * Messages for a connection that ended or never came, which carry no code: node-postgres's, and TypeORM's for a
 * PostgreSQL pool that is gone.
 */
const PG_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Driver not Connected$)/;

/**
 * Whether an error means the database could not be reached or used (rather than a bug or a bad query): such a
 * request is answered 503 with Retry-After, since the same request may well succeed in a moment.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (NOT_CONNECTED.has(error.name) || PG_MESSAGES.test(error.message)) return true;
  // TypeORM's QueryFailedError carries the driver's code as its own.
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return NETWORK_CODES.has(code) || SQLITE_CODES.has(code) || POSTGRES_CODES.has(code);
}
