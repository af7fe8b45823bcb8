import type { UsageGrouping } from '../usage.repository';
import type { UsageGroupLine, UsageOverview } from '../usage.service';
import { UsageTotalsResponseDto } from './usage-report-response.dto';

export class UsageOverviewLineResponseDto {
  /** With `groupBy=user`. */
  userId?: string;
  /** With `groupBy=user`: the user's email; null when the account has been deleted since. */
  email?: string | null;
  /** With `groupBy=model`. @example "openai/gpt-4o-mini" */
  model?: string;
  /** With `groupBy=day`: a UTC day. @example "2026-01-15" */
  day?: string;
  requests: number;
  failed: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  averageLatencyMs: number;

  static from(line: UsageGroupLine, groupBy: UsageGrouping): UsageOverviewLineResponseDto {
    const key =
      groupBy === 'user'
        ? { userId: line.key, email: line.email ?? null }
        : groupBy === 'model'
          ? { model: line.key }
          : { day: line.key };
    return {
      ...key,
      requests: line.requests,
      failed: line.failed,
      cancelled: line.cancelled,
      promptTokens: line.promptTokens,
      completionTokens: line.completionTokens,
      totalTokens: line.promptTokens + line.completionTokens,
      averageLatencyMs: line.requests > 0 ? Math.round(line.latencyMs / line.requests) : 0,
    };
  }
}

export class UsageOverviewResponseDto {
  /** @example "2026-01-01" */
  from: string;
  /** @example "2026-01-31" */
  to: string;
  /** @example "user" */
  groupBy: UsageGrouping;
  /** One line per user, model or day with at least one call, in order of user id, model id or day; one page. */
  items: UsageOverviewLineResponseDto[];
  /** Pass as `cursor` (with the same `groupBy`, `from` and `to`) for the next page; null on the last page. */
  nextCursor: string | null;
  /** Every user's calls over the whole range, whichever page this is. */
  totals: UsageTotalsResponseDto;

  static from(overview: UsageOverview): UsageOverviewResponseDto {
    const { totals } = overview;
    return {
      from: overview.from,
      to: overview.to,
      groupBy: overview.groupBy,
      items: overview.rows.map((row) => UsageOverviewLineResponseDto.from(row, overview.groupBy)),
      nextCursor: overview.nextCursor,
      totals: {
        requests: totals.requests,
        failed: totals.failed,
        cancelled: totals.cancelled,
        promptTokens: totals.promptTokens,
        completionTokens: totals.completionTokens,
        totalTokens: totals.promptTokens + totals.completionTokens,
      },
    };
  }
}
