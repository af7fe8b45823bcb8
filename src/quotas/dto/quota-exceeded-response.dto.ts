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
