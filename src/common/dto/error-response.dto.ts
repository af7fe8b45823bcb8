import { ApiProperty } from '@nestjs/swagger';

export class ErrorResponseDto {
  /** @example 400 */
  statusCode: number;
  /** @example "Bad Request" */
  error: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What went wrong; one entry per offending field for validation failures',
    example: ['email must be an email'],
  })
  message: string | string[];
  /** A stable machine-readable code, e.g. VALIDATION_FAILED, EMAIL_TAKEN, CONVERSATION_NOT_FOUND. */
  code: string;
}
