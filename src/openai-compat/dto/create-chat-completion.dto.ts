import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
} from 'class-validator';
import { ChatContentConstraint, type TextPart } from '../chat-content.validator';
import type { OpenAiRole } from '../chat-messages';

const ROLES: readonly OpenAiRole[] = ['system', 'developer', 'user', 'assistant'];

export class ChatCompletionMessageDto {
  /** `developer` is taken as `system`. Tool and function turns are not supported. */
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: OpenAiRole;

  @ApiProperty({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          type: 'object',
          properties: { type: { type: 'string', enum: ['text'] }, text: { type: 'string' } },
          required: ['type', 'text'],
        },
      },
    ],
    description: 'The text, or text parts (joined one a line); images and audio are not supported.',
    example: 'What should I see in Lisbon in one day?',
  })
  @Validate(ChatContentConstraint)
  content: string | TextPart[];

  /** A participant name; accepted for compatibility and not sent on. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  name?: string;
}

export class StreamOptionsDto {
  /** Send one more chunk before `data: [DONE]`, with `usage` for the whole call and no choices. */
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/**
 * OpenAI's Chat Completions request, with the fields this server honours or can safely take. Any other field
 * (tools, response_format, stop, logprobs, audio...) is refused with 400 naming it, as OpenAI refuses arguments
 * it does not recognise, rather than ignored in a way that would change the answer.
 */
export class CreateChatCompletionDto {
  /** A model id from GET /v1/models. @example "openai/gpt-4o-mini" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  model: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageDto)
  messages: ChatCompletionMessageDto[];

  /** Answer as Server-Sent Events of `chat.completion.chunk` objects, ending with `data: [DONE]`. */
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  /** Only read when `stream` is true. */
  @IsOptional()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Upper bound on the answer's length, in tokens. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  max_completion_tokens?: number;

  /** The older name of `max_completion_tokens`; the newer one wins when both are given. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  max_tokens?: number;

  /** How many choices to generate; this server makes one. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1, { message: 'n must be 1: this server returns one choice' })
  n?: number;

  /**
   * Sampling hints that many clients send whether or not the user set them. Accepted and checked so that those
   * clients work, but not sent on: the port to the providers does not carry them, so the providers' defaults apply.
   */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  /** Accepted and not sent on, like `top_p`. */
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  /** Accepted and not sent on, like `top_p`. */
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  /** Accepted and not sent on, like `top_p`. */
  @IsOptional()
  @IsInt()
  seed?: number;

  /** An end-user identifier; accepted for compatibility and not sent on. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;
}
