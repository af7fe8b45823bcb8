import type { QuotaPolicy } from '../entities/quota-policy.entity';
import type { QuotaWindow } from '../quota-window';

export class QuotaResponseDto {
  id: string;
  scope: 'default' | 'user';
  /** Null for a default. */
  userId: string | null;
  /** Null: every model. @example "openai/*" */
  model: string | null;
  window: QuotaWindow;
  maxRequests: number | null;
  maxTokens: number | null;
  createdAt: string;

  static from(policy: QuotaPolicy): QuotaResponseDto {
    return {
      id: policy.id,
      scope: policy.userId === null ? 'default' : 'user',
      userId: policy.userId,
      model: policy.model,
      window: policy.window,
      maxRequests: policy.maxRequests,
      maxTokens: policy.maxTokens,
      createdAt: policy.createdAt.toISOString(),
    };
  }
}

export class QuotasPageResponseDto {
  items: QuotaResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
