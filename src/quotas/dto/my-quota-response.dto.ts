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
