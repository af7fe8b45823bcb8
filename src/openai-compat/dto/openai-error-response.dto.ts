import { ApiProperty } from '@nestjs/swagger';

export class OpenAiErrorDetailDto {
  // Set here rather than as a JSDoc @example, whose escaped quotes the Swagger plugin drops.
  @ApiProperty({
    description: 'What went wrong.',
    example: 'model "openai/gpt-5" is not available; GET /v1/models lists the ones that are',
  })
  message: string;
  /**
   * invalid_request_error, permission_error, rate_limit_error, server_error, or insufficient_quota for a spent quota.
   * @example "invalid_request_error"
   */
  type: string;
  /** The offending request field, when there is one. @example "model" */
  param: string | null;
  /**
   * e.g. invalid_api_key, model_not_found, rate_limit_exceeded, validation_failed, upstream_error.
   * @example "model_not_found"
   */
  code: string | null;
}

/** Errors of the /v1 routes, in OpenAI's shape, so that OpenAI's SDKs raise their matching error classes. */
export class OpenAiErrorResponseDto {
  error: OpenAiErrorDetailDto;
}
