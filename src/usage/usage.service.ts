import { Injectable, Logger } from '@nestjs/common';
import { UsersService } from '../users/users.service';
import type { UsageStatus } from './usage-record.entity';
import { InvalidDateRangeError } from './usage.errors';
import { UsageRepository, UsageRow } from './usage.repository';

export interface UsageEntry {
  userId: string;
  model: string;
  status: UsageStatus;
  errorCode: string | null;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
}

export interface UsageRange {
  /** YYYY-MM-DD, UTC, included. */
  from: string;
  /** YYYY-MM-DD, UTC, included. */
  to: string;
}

export interface UsageReport extends UsageRange {
  rows: UsageRow[];
}

export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const addDays = (day: string, days: number) => dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));

/**
 * The days a report covers: both ends given, or one end and the default span, or the last 30 days up to
 * today (UTC). Refuses a range that runs backwards or spans more than a year.
 */
export function resolveUsageRange(query: { from?: string; to?: string }, now = new Date()): UsageRange {
  const to = query.to ?? dayOf(now);
  const from = query.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) throw new InvalidDateRangeError(`from (${from}) must not be after to (${to})`);
  if (addDays(from, MAX_RANGE_DAYS - 1) < to) {
    throw new InvalidDateRangeError(`a report covers at most ${MAX_RANGE_DAYS} days`);
  }
  return { from, to };
}

@Injectable()
export class UsageService {
  private readonly logger = new Logger(UsageService.name);

  constructor(
    private readonly usage: UsageRepository,
    private readonly users: UsersService,
  ) {}

  /** Stores one call. A failure to store is logged, never passed to the caller, whose answer is already out. */
  async record(entry: UsageEntry, at = new Date()): Promise<void> {
    try {
      await this.usage.insert({ ...entry, day: dayOf(at), createdAt: at });
    } catch (error) {
      this.logger.error(`usage of ${entry.model} was not recorded: ${error instanceof Error ? error.message : error}`);
    }
  }

  /** The user's calls summed per day and model; UserNotFoundError for an unknown user. */
  async report(userId: string, query: { from?: string; to?: string }): Promise<UsageReport> {
    const range = resolveUsageRange(query);
    await this.users.getById(userId);
    return { ...range, rows: await this.usage.sumByDayAndModel(userId, range.from, range.to) };
  }
}
