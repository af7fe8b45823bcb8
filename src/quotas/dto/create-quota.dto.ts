import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { QUOTA_WINDOWS, type QuotaWindow } from '../quota-window';
import { LowerCaseId } from '../../common/validators/lower-case-id';
import { Trimmed } from '../../common/validators/trimmed';

/** Sums are kept in 32-bit integer columns; a month of tokens stays well below that. */
const MAX_LIMIT = 1_000_000_000;

export class CreateQuotaDto {
  /** `default`: everyone without a policy of their own for the same window and model; `user`: one person. */
  @IsIn(['default', 'user'])
  scope: 'default' | 'user';

  /** The person, with scope `user` only (required then). */
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  userId?: string;

  /**
   * The models it covers: an id (`openai/gpt-4o`) or a pattern where `*` stands for anything (`openai/*`);
   * every model when left out or `*` (stored, and answered, as `null`). @example "openai/*"
   */
  @IsOptional()
  @Trimmed()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[\w.:*/@-]+$/, { message: 'model may hold letters, digits and . _ - : / @ and * only' })
  model?: string;

  /** Counted per UTC calendar day or month. */
  @IsIn(QUOTA_WINDOWS)
  window: QuotaWindow;

  /** Model calls per window. At least one of maxRequests and maxTokens is required. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LIMIT)
  maxRequests?: number;

  /** Prompt and answer tokens per window, as the providers report them. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LIMIT)
  maxTokens?: number;
}
