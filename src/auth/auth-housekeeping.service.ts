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

/** At most this many rows go in one statement: a first sweep after an upgrade would otherwise hold the database. */
const BATCH = 1000;

/**
 * What is dead, table by table, as a condition on its rows. A refresh token lives as long as its session: a used
 * one is kept while the session goes on (refreshed, it outlives the token's own expiry), since presenting it again
 * must still end the session as a replay.
 */
const DEAD_ROWS: { table: string; where: string }[] = [
  {
    table: 'refresh_tokens',
    where: 'family_id IN (SELECT s.id FROM sessions s WHERE s.revoked_at < :before OR s.expires_at < :before)',
  },
  { table: 'sessions', where: 'revoked_at < :before OR expires_at < :before' },
  { table: 'mfa_tokens', where: 'expires_at < :before' },
  { table: 'password_reset_tokens', where: 'expires_at < :before' },
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
      for (const { table, where } of DEAD_ROWS) {
        // In batches, each its own statement, so that other requests' statements run between them.
        while ((await this.deleteSome(table, where, before)) === BATCH);
      }
    } catch (error) {
      // The command line starts before it has applied the migrations to a new database: nothing to delete yet.
      if (isMissingTable(error)) return;
      this.logger.warn(`ended sign-in records could not be deleted: ${(error as Error).message}`);
    }
  }

  private async deleteSome(table: string, where: string, before: Date | string): Promise<number> {
    const result = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(table)
      .where(`id IN (SELECT id FROM ${table} WHERE ${where} LIMIT ${BATCH})`, { before })
      .execute();
    return result.affected ?? 0;
  }
}
