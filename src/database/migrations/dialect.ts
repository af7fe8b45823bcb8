import type { QueryRunner } from 'typeorm';

/** Column types that differ between the two supported databases, so one migration serves both. */
export function columnTypes(queryRunner: QueryRunner) {
  const postgres = queryRunner.connection.options.type === 'postgres';
  return {
    postgres,
    uuidPk: postgres ? 'uuid PRIMARY KEY DEFAULT gen_random_uuid()' : 'varchar(36) PRIMARY KEY NOT NULL',
    uuid: postgres ? 'uuid' : 'varchar(36)',
    timestamp: postgres ? 'timestamptz(3)' : 'datetime', // milliseconds, like a JS Date, so cursors compare exactly,
    now: postgres ? 'now()' : "(strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    boolean: 'boolean',
    false: postgres ? 'false' : '0',
  };
}
