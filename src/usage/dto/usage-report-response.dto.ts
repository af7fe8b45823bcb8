import type { UsageRow } from '../usage.repository';
import type { UsageReport } from '../usage.service';

export class UsageReportRowResponseDto {
  /** UTC day. @example "2026-01-15" */
  day: string;
  /** @example "openai/gpt-4o-mini" */
  model: string;
  /** Calls made, whatever their outcome. */
  requests: number;
  /** Calls that failed (the provider or the model id). */
  failed: number;
  /** Calls the client abandoned before the answer was complete. */
  cancelled: number;
  /** Tokens as the providers reported them. */
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Mean time from request to the end of the answer. */
  averageLatencyMs: number;

  static from(row: UsageRow): UsageReportRowResponseDto {
    return {
      day: row.day,
      model: row.model,
      requests: row.requests,
      failed: row.failed,
      cancelled: row.cancelled,
      promptTokens: row.promptTokens,
      completionTokens: row.completionTokens,
      totalTokens: row.promptTokens + row.completionTokens,
      averageLatencyMs: row.requests > 0 ? Math.round(row.latencyMs / row.requests) : 0,
    };
  }
}

export class UsageTotalsResponseDto {
  requests: number;
  failed: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export class UsageReportResponseDto {
  /** @example "2026-01-01" */
  from: string;
  /** @example "2026-01-31" */
  to: string;
  /** One entry per day and model with at least one call, oldest day first, then by model; one page of them. */
  items: UsageReportRowResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
  /** Over the whole range, whichever page this is. */
  totals: UsageTotalsResponseDto;

  static from(report: UsageReport): UsageReportResponseDto {
    const { totals } = report;
    return {
      from: report.from,
      to: report.to,
      items: report.rows.map((row) => UsageReportRowResponseDto.from(row)),
      nextCursor: report.nextCursor,
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
