import type { QuotaStatus } from '../quotas.service';
import type { QuotaWindow } from '../quota-window';

export class MyQuotaItemResponseDto {
  window: QuotaWindow;
  /** Null: every model. @example "openai/*" */
  model: string | null;
  /** Null: requests are not limited. */
  maxRequests: number | null;
  /** Including calls still running, counted at their estimate until they end. */
  usedRequests: number;
  /** Null: tokens are not limited. */
  maxTokens: number | null;
  usedTokens: number;
  /** The next UTC midnight (day) or first of a month (month), when the use starts again from zero. */
  resetsAt: string;

  static from(status: QuotaStatus): MyQuotaItemResponseDto {
    return { ...status, resetsAt: status.resetsAt.toISOString() };
  }
}

export class MyQuotaResponseDto {
  /** Empty when no quota applies to you. */
  items: MyQuotaItemResponseDto[];
}

/** The body of a 429 QUOTA_EXCEEDED, beside the usual statusCode, error, code and message. */
export class QuotaExceededResponseDto {
  statusCode: number;
  error: string;
  /** @example "QUOTA_EXCEEDED" */
  code: string;
  message: string;
  /** The limit that would be passed, in requests or tokens. */
  limit: number;
  /** What is used of it in the current window. */
  used: number;
  /** When the window starts again. */
  resetsAt: string;
}
