import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
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

/** A line of the report, to continue after. */
export interface UsagePosition {
  day: string;
  model: string;
}

@Injectable()
export class UsageRepository {
  constructor(@InjectRepository(UsageRecord) private readonly records: Repository<UsageRecord>) {}

  async insert(record: Omit<UsageRecord, 'id'>): Promise<void> {
    await this.records.insert(this.records.create(record));
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

  private sums(userId: string, fromDay: string, toDay: string) {
    return this.records
      .createQueryBuilder('u')
      .select('COUNT(*)', 'requests')
      .addSelect(`SUM(CASE WHEN u.status = 'error' THEN 1 ELSE 0 END)`, 'failed')
      .addSelect(`SUM(CASE WHEN u.status = 'cancelled' THEN 1 ELSE 0 END)`, 'cancelled')
      .addSelect('SUM(u.promptTokens)', 'promptTokens')
      .addSelect('SUM(u.completionTokens)', 'completionTokens')
      .addSelect('SUM(u.latencyMs)', 'latencyMs')
      .where('u.userId = :userId', { userId })
      .andWhere('u.day BETWEEN :fromDay AND :toDay', { fromDay, toDay });
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
