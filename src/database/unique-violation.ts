import { QueryFailedError } from 'typeorm';

const UNIQUE_VIOLATION = new Set(['23505', 'SQLITE_CONSTRAINT']);

/** Whether a write was refused by a unique index (PostgreSQL's 23505, SQLite's SQLITE_CONSTRAINT). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && UNIQUE_VIOLATION.has((error.driverError as { code?: string }).code ?? '');
}
