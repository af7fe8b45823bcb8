import { QueryFailedError } from 'typeorm';

/** PostgreSQL's undefined_table (42P01); SQLite reports it as a generic SQLITE_ERROR, told apart by its message. */
export function isMissingTable(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string }).code;
  return code === '42P01' || (code === 'SQLITE_ERROR' && /no such table/.test(error.message));
}
