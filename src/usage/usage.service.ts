import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AuditLog } from '../common/audit/audit-log.service';
import type { AuthUser } from '../common/auth-user';
import { InvalidCursorError } from '../common/errors/app.error';
import { decodeTuple, encodeTuple } from '../common/pagination/cursor';
import { UsersService } from '../users/users.service';
import type { UsageStatus } from './usage-record.entity';
import { InvalidDateRangeError } from '../common/errors/app.error';
import {
  UsageGroupRow,
  UsageGrouping,
  UsagePosition,
  UsageRepository,
  UsageRow,
  UsageTotals,
} from './usage.repository';

export interface UsageEntry {
  userId: string;
  model: string;
  /** The model that actually answered (a fallback, or `model`); null when none did. */
  servedBy: string | null;
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
  /** One page of lines. */
  rows: UsageRow[];
  nextCursor: string | null;
  /** Over the whole range, every page. */
  totals: UsageTotals;
}

export interface UsageGroupLine extends UsageGroupRow {
  /** For `groupBy=user`: the user's email, or null when the account has been deleted since. */
  email?: string | null;
}

export interface UsageOverview extends UsageRange {
  groupBy: UsageGrouping;
  rows: UsageGroupLine[];
  nextCursor: string | null;
  totals: UsageTotals;
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

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export function encodeUsageCursor(position: UsagePosition): string {
  return encodeTuple([position.day, position.model]);
}

export function decodeUsageCursor(value: string): UsagePosition {
  const [day, model] = decodeTuple(value, 2);
  if (!DAY_PATTERN.test(day) || model.length > 200) throw new InvalidCursorError();
  return { day, model };
}

@Injectable()
export class UsageService {
  private readonly logger = new Logger(UsageService.name);

  constructor(
    private readonly usage: UsageRepository,
    private readonly users: UsersService,
    private readonly audit: AuditLog,
  ) {}

  /** Stores one call. A failure to store is logged, never passed to the caller, whose answer is already out. */
  async record(entry: UsageEntry, at = new Date()): Promise<void> {
    try {
      await this.usage.insert({ ...entry, day: dayOf(at), createdAt: at });
    } catch (error) {
      this.logger.error(`usage of ${entry.model} was not recorded: ${error instanceof Error ? error.message : error}`);
    }
  }

  /**
   * The user's calls summed per day and model, a page of `limit` lines after `cursor`, with the totals of the
   * whole range; UserNotFoundError for an unknown user.
   */
  async report(
    userId: string,
    query: { from?: string; to?: string; limit: number; cursor?: string },
  ): Promise<UsageReport> {
    const range = resolveUsageRange(query);
    const after = query.cursor ? decodeUsageCursor(query.cursor) : undefined;
    await this.users.getById(userId);
    const rows = await this.usage.sumByDayAndModel(userId, range.from, range.to, query.limit + 1, after);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      ...range,
      rows: page,
      nextCursor: rows.length > query.limit && last ? encodeUsageCursor(last) : null,
      totals: await this.usage.sumTotals(userId, range.from, range.to),
    };
  }

  /** An admin reads someone's report: reading another user's data goes in the audit log. */
  async reportFor(
    admin: AuthUser,
    userId: string,
    query: { from?: string; to?: string; limit: number; cursor?: string },
  ): Promise<UsageReport> {
    const report = await this.report(userId, query);
    if (userId !== admin.id) {
      await this.audit.note({
        action: 'admin.read_usage',
        actorId: admin.id,
        targetType: 'user',
        targetId: userId,
        details: { from: report.from, to: report.to },
      });
    }
    return report;
  }

  /**
   * Everyone's calls summed per user, model or day (the admin's overview), a page after `cursor`, with totals.
   * Each read goes in the audit log: it is every user's data, with their emails when grouped by user.
   */
  async overview(
    admin: AuthUser,
    query: {
      groupBy: UsageGrouping;
      from?: string;
      to?: string;
      limit: number;
      cursor?: string;
    },
  ): Promise<UsageOverview> {
    const range = resolveUsageRange(query);
    const afterKey = query.cursor ? decodeGroupCursor(query.cursor, query.groupBy) : undefined;
    const rows = await this.usage.sumGrouped(query.groupBy, range.from, range.to, query.limit + 1, afterKey);
    const page: UsageGroupLine[] = rows.slice(0, query.limit);
    if (query.groupBy === 'user') {
      const emails = await this.users.emailsOf(page.map((row) => row.key));
      for (const row of page) row.email = emails.get(row.key) ?? null;
    }
    const last = page[page.length - 1];
    const totals = await this.usage.sumAllTotals(range.from, range.to);
    await this.audit.note({
      action: 'admin.read_usage_overview',
      actorId: admin.id,
      targetType: 'usage',
      details: { from: range.from, to: range.to, groupBy: query.groupBy },
    });
    return {
      ...range,
      groupBy: query.groupBy,
      rows: page,
      nextCursor: rows.length > query.limit && last ? encodeTuple([query.groupBy, last.key]) : null,
      totals,
    };
  }
}

/** A cursor of the overview holds its grouping, so that one made for another grouping is refused, not misread. */
function decodeGroupCursor(value: string, groupBy: UsageGrouping): string {
  const [grouping, key] = decodeTuple(value, 2);
  // The key is compared with the column it came from: a user id column takes only an id (PostgreSQL refuses others).
  const fits = groupBy === 'user' ? isUUID(key) : groupBy === 'day' ? DAY_PATTERN.test(key) : key.length <= 200;
  if (grouping !== groupBy || !fits) throw new InvalidCursorError();
  return key;
}
