import { QueryFailedError } from 'typeorm';

/**
 * Whether a write was refused by a unique index: PostgreSQL's 23505; on SQLite, whose driver reports every
 * constraint (NOT NULL, foreign key, ...) as SQLITE_CONSTRAINT, the message tells which.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string }).code;
  return code === '23505' || (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed/.test(error.message));
}
