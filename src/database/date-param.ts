import { DataSource } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';

/**
 * Raw query parameters skip TypeORM's value conversion. SQLite stores datetimes as UTC text, so a Date has to
 * be written the same way to compare correctly; PostgreSQL takes the Date itself.
 */
export function dateParam(dataSource: DataSource, value: Date): Date | string {
  return dataSource.options.type === 'postgres' ? value : DateUtils.mixedDateToUtcDatetimeString(value);
}
