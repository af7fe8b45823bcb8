import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
} from 'class-validator';
import { StopConstraint, StreamOnlyConstraint, ToolChoiceConstraint } from '../chat-content.validator';
import type { OpenAiToolChoice } from '../chat-messages';
import { ChatCompletionMessageDto } from './chat-completion-message.dto';
import { ChatCompletionToolDto, ResponseFormatDto } from './chat-completion-options.dto';

export class StreamOptionsDto {
  /** Send one more chunk before `data: [DONE]`, with `usage` for the whole call and no choices. */
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/**
 * OpenAI's Chat Completions request, with the fields this server honours. Any other field (logprobs, audio,
 * logit_bias...) is refused with 400 naming it, as OpenAI refuses arguments it does not recognise, rather than
 * ignored in a way that would change the answer; so is a field the chosen model's provider cannot honour.
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
  @IsObject({ each: true, message: 'messages must be an array of objects' })
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageDto)
  messages: ChatCompletionMessageDto[];

  /** Answer as Server-Sent Events of `chat.completion.chunk` objects, ending with `data: [DONE]`. */
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  /** Only with `stream: true`; without it, 400, as OpenAI answers. */
  @IsOptional()
  @Validate(StreamOnlyConstraint)
  @IsObject()
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

  /** Tools the model may call. An empty list is the same as none. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @IsObject({ each: true, message: 'tools must be an array of objects' })
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionToolDto)
  tools?: ChatCompletionToolDto[];

  /** `auto` (the default), `none`, `required`, or one named function. */
  @ApiProperty({
    required: false,
    oneOf: [
      { type: 'string', enum: ['none', 'auto', 'required'] },
      {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['function'] },
          function: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
        required: ['type', 'function'],
      },
    ],
  })
  @IsOptional()
  @Validate(ToolChoiceConstraint)
  tool_choice?: OpenAiToolChoice;

  /** `false`: at most one tool call per answer. */
  @IsOptional()
  @IsBoolean()
  parallel_tool_calls?: boolean;

  /** Where the model stops: one sequence or up to four, left out of the answer. */
  @ApiProperty({
    required: false,
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 4 }],
    example: ['\n\n'],
  })
  @IsOptional()
  @Validate(StopConstraint)
  stop?: string | string[];

  /** `json_object` or `json_schema` for JSON answers; `text` is the default. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ResponseFormatDto)
  response_format?: ResponseFormatDto;

  /**
   * Sent to providers that take it. Its default, 1, is taken by every provider (it is the same as leaving it
   * out); another value is refused by a provider without it.
   */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  /** Sent to providers that take it; 0, the default, is taken by every provider. */
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  /** Sent to providers that take it; 0, the default, is taken by every provider. */
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  /** For repeatable answers, sent to providers that take it. */
  @IsOptional()
  @IsInt()
  @Min(-(2 ** 53) + 1)
  @Max(2 ** 53 - 1)
  seed?: number;

  /** An end-user identifier for the provider's abuse monitoring (Anthropic's `metadata.user_id`). */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;
}
