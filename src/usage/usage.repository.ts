import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { UsageRecord } from './usage-record.entity';

export interface UsageRow {
  day: string;
  model: string;
  requests: number;
  failed: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
}

@Injectable()
export class UsageRepository {
  constructor(@InjectRepository(UsageRecord) private readonly records: Repository<UsageRecord>) {}

  async insert(record: Omit<UsageRecord, 'id'>): Promise<void> {
    await this.records.insert(this.records.create(record));
  }

  /** One row per day and model with calls between `fromDay` and `toDay` (YYYY-MM-DD, both included), in order. */
  async sumByDayAndModel(userId: string, fromDay: string, toDay: string): Promise<UsageRow[]> {
    const rows = await this.records
      .createQueryBuilder('u')
      .select('u.day', 'day')
      .addSelect('u.model', 'model')
      .addSelect('COUNT(*)', 'requests')
      .addSelect(`SUM(CASE WHEN u.status = 'error' THEN 1 ELSE 0 END)`, 'failed')
      .addSelect(`SUM(CASE WHEN u.status = 'cancelled' THEN 1 ELSE 0 END)`, 'cancelled')
      .addSelect('SUM(u.promptTokens)', 'promptTokens')
      .addSelect('SUM(u.completionTokens)', 'completionTokens')
      .addSelect('SUM(u.latencyMs)', 'latencyMs')
      .where('u.userId = :userId', { userId })
      .andWhere('u.day BETWEEN :fromDay AND :toDay', { fromDay, toDay })
      .groupBy('u.day')
      .addGroupBy('u.model')
      .orderBy('u.day', 'ASC')
      .addOrderBy('u.model', 'ASC')
      .getRawMany<Record<keyof UsageRow, string | number>>();
    // PostgreSQL returns COUNT and SUM as strings (bigint, numeric); SQLite as numbers.
    return rows.map((row) => ({
      day: String(row.day),
      model: String(row.model),
      requests: Number(row.requests),
      failed: Number(row.failed),
      cancelled: Number(row.cancelled),
      promptTokens: Number(row.promptTokens),
      completionTokens: Number(row.completionTokens),
      latencyMs: Number(row.latencyMs),
    }));
  }
}
