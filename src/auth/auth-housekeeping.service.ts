import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { dateParam } from '../database/date-param';
import { isMissingTable } from '../database/missing-table';

const HOUR_MS = 3_600_000;

/**
 * Kept a day past their end, so that a token presented just after it expired is still answered for what it was;
 * after that every one of them answers as unknown (401), which is all a client needs to know.
 */
const KEEP_AFTER_END_MS = 24 * HOUR_MS;

/** Each row of these is dead once the time in its column has passed (or, for sessions, once ended). */
const DEAD_ROWS: { table: string; ended: string[] }[] = [
  { table: 'refresh_tokens', ended: ['expires_at', 'revoked_at'] },
  { table: 'sessions', ended: ['expires_at', 'revoked_at'] },
  { table: 'mfa_tokens', ended: ['expires_at'] },
  { table: 'password_reset_tokens', ended: ['expires_at'] },
];

/**
 * Deletes sign-in records that can no longer be used: every refresh adds a token row, every sign-in a session,
 * and without this the tables only grow. Runs at start and hourly; on several processes each does, harmlessly.
 */
@Injectable()
export class AuthHousekeeping implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuthHousekeeping.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), HOUR_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Never throws: a failed sweep is retried at the next one. */
  async sweep(now = Date.now()): Promise<void> {
    const before = dateParam(this.dataSource, new Date(now - KEEP_AFTER_END_MS));
    try {
      for (const { table, ended } of DEAD_ROWS) {
        await this.dataSource
          .createQueryBuilder()
          .delete()
          .from(table)
          .where(ended.map((column) => `${column} < :before`).join(' OR '), { before })
          .execute();
      }
    } catch (error) {
      // The command line starts before it has applied the migrations to a new database: nothing to delete yet.
      if (isMissingTable(error)) return;
      this.logger.warn(`ended sign-in records could not be deleted: ${(error as Error).message}`);
    }
  }
}
