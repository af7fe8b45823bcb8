import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { sqlFor } from '../database/placeholders';
import { UsageRecord } from './usage-record.entity';

export interface UsageTotals {
  requests: number;
  failed: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
}

export interface UsageRow extends UsageTotals {
  day: string;
  model: string;
}

export type UsageGrouping = 'user' | 'model' | 'day';

/** A line of the admin's report: the sums of one user, model or day. */
export interface UsageGroupRow extends UsageTotals {
  key: string;
}

const GROUP_COLUMN: Record<UsageGrouping, string> = { user: 'u.userId', model: 'u.model', day: 'u.day' };

/** A line of the report, to continue after. */
export interface UsagePosition {
  day: string;
  model: string;
}

/** Every column of a usage row, in the order of the INSERT. */
const INSERTED: readonly (keyof UsageRecord)[] = [
  'id',
  'userId',
  'model',
  'servedBy',
  'status',
  'errorCode',
  'promptTokens',
  'completionTokens',
  'latencyMs',
  'day',
  'createdAt',
];

@Injectable()
export class UsageRepository {
  private readonly insertSql: string;
  private readonly createdAt: ColumnMetadata;

  constructor(
    @InjectRepository(UsageRecord) private readonly records: Repository<UsageRecord>,
    private readonly dataSource: DataSource,
  ) {
    const metadata = dataSource.getMetadata(UsageRecord);
    const columns = INSERTED.map((property) => metadata.findColumnWithPropertyName(property)!.databaseName);
    this.createdAt = metadata.findColumnWithPropertyName('createdAt')!;
    this.insertSql = sqlFor(
      dataSource,
      `INSERT INTO usage_records (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
  }

  /**
   * One plain INSERT, written once at start-up: it runs for every model call on /v1, where building it through
   * the entity manager (and reading the row back) cost more than the write itself.
   */
  async insert(record: Omit<UsageRecord, 'id'>): Promise<void> {
    const values = INSERTED.map((property) =>
      property === 'id'
        ? randomUUID()
        : property === 'createdAt'
          ? this.dataSource.driver.preparePersistentValue(record.createdAt, this.createdAt)
          : record[property],
    );
    await this.dataSource.query(this.insertSql, values);
  }

  /**
   * One row per day and model with calls between `fromDay` and `toDay` (YYYY-MM-DD, both included), in order,
   * starting after the line `after`; at most `limit` rows. The (user, day, model) index serves the range and
   * the order.
   */
  async sumByDayAndModel(
    userId: string,
    fromDay: string,
    toDay: string,
    limit: number,
    after?: UsagePosition,
  ): Promise<UsageRow[]> {
    const query = this.sums(userId, fromDay, toDay)
      .addSelect('u.day', 'day')
      .addSelect('u.model', 'model')
      .groupBy('u.day')
      .addGroupBy('u.model')
      .orderBy('u.day', 'ASC')
      .addOrderBy('u.model', 'ASC')
      .limit(limit);
    if (after) {
      query.andWhere('(u.day, u.model) > (:afterDay, :afterModel)', { afterDay: after.day, afterModel: after.model });
    }
    const rows = await query.getRawMany<Record<keyof UsageRow, string | number>>();
    return rows.map((row) => ({ day: String(row.day), model: String(row.model), ...numbers(row) }));
  }

  /** The same sums over the whole range, in one row. */
  async sumTotals(userId: string, fromDay: string, toDay: string): Promise<UsageTotals> {
    const row = await this.sums(userId, fromDay, toDay).getRawOne<Record<keyof UsageTotals, string | number>>();
    return numbers(row);
  }

  /**
   * Every user's calls between the days, one row per user, model or day (the `key`), in key order after `afterKey`;
   * at most `limit` rows. The day index serves the range.
   */
  async sumGrouped(
    groupBy: UsageGrouping,
    fromDay: string,
    toDay: string,
    limit: number,
    afterKey?: string,
  ): Promise<UsageGroupRow[]> {
    const column = GROUP_COLUMN[groupBy];
    const query = this.sums(null, fromDay, toDay)
      .addSelect(column, 'key')
      .groupBy(column)
      .orderBy(column, 'ASC')
      .limit(limit);
    if (afterKey !== undefined) query.andWhere(`${column} > :afterKey`, { afterKey });
    const rows = await query.getRawMany<Record<keyof UsageGroupRow, string | number>>();
    return rows.map((row) => ({ key: String(row.key), ...numbers(row) }));
  }

  /** Every user's calls between the days, summed in one row. */
  async sumAllTotals(fromDay: string, toDay: string): Promise<UsageTotals> {
    return numbers(await this.sums(null, fromDay, toDay).getRawOne<Record<keyof UsageTotals, string | number>>());
  }

  /** The sums of one user's calls, or (null) of everyone's, between the days. */
  private sums(userId: string | null, fromDay: string, toDay: string) {
    const query = this.records
      .createQueryBuilder('u')
      .select('COUNT(*)', 'requests')
      .addSelect(`SUM(CASE WHEN u.status = 'error' THEN 1 ELSE 0 END)`, 'failed')
      .addSelect(`SUM(CASE WHEN u.status = 'cancelled' THEN 1 ELSE 0 END)`, 'cancelled')
      .addSelect('SUM(u.promptTokens)', 'promptTokens')
      .addSelect('SUM(u.completionTokens)', 'completionTokens')
      .addSelect('SUM(u.latencyMs)', 'latencyMs')
      .where('u.day BETWEEN :fromDay AND :toDay', { fromDay, toDay });
    return userId === null ? query : query.andWhere('u.userId = :userId', { userId });
  }
}

/** PostgreSQL returns COUNT and SUM as strings (bigint, numeric), SQLite as numbers; SUM over no rows is null. */
function numbers(row: Partial<Record<keyof UsageTotals, string | number | null>> | undefined): UsageTotals {
  const number = (value: string | number | null | undefined) => Number(value ?? 0);
  return {
    requests: number(row?.requests),
    failed: number(row?.failed),
    cancelled: number(row?.cancelled),
    promptTokens: number(row?.promptTokens),
    completionTokens: number(row?.completionTokens),
    latencyMs: number(row?.latencyMs),
  };
}
