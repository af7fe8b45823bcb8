import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  AssistantOnlyConstraint,
  ChatContentConstraint,
  JsonObjectTextConstraint,
  StopConstraint,
  ToolCallIdConstraint,
  ToolChoiceConstraint,
  type OpenAiContentPart,
} from '../chat-content.validator';
import type { OpenAiRole, OpenAiToolChoice } from '../chat-messages';

const ROLES: readonly OpenAiRole[] = ['system', 'developer', 'user', 'assistant', 'tool'];
/** OpenAI's rule for function names, which Anthropic's matches. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const FUNCTION_NAME_MESSAGE = 'name must be 1 to 64 letters, digits, underscores or dashes';

export class ChatCompletionToolCallFunctionDto {
  /** @example "get_weather" */
  @IsString()
  @Matches(FUNCTION_NAME, { message: FUNCTION_NAME_MESSAGE })
  name: string;

  /** The arguments as the model wrote them: the text of a JSON object. @example "{\"city\":\"Lisbon\"}" */
  @Validate(JsonObjectTextConstraint)
  arguments: string;
}

/** A tool call of an earlier assistant answer, sent back as the answer had it. */
export class ChatCompletionMessageToolCallDto {
  /** @example "call_abc123" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  id: string;

  @ApiProperty({ enum: ['function'] })
  @IsIn(['function'])
  type: 'function';

  @ValidateNested()
  @Type(() => ChatCompletionToolCallFunctionDto)
  function: ChatCompletionToolCallFunctionDto;
}

export class ChatCompletionMessageDto {
  /** `developer` is taken as `system`. `tool` carries a tool's result, answering `tool_call_id`. */
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: OpenAiRole;

  @ApiProperty({
    oneOf: [
      // Null only on an assistant message with tool_calls.
      { type: 'string', nullable: true },
      {
        type: 'array',
        items: {
          oneOf: [
            {
              type: 'object',
              properties: { type: { type: 'string', enum: ['text'] }, text: { type: 'string' } },
              required: ['type', 'text'],
            },
            {
              type: 'object',
              properties: {
                type: { type: 'string', enum: ['image_url'] },
                image_url: {
                  type: 'object',
                  properties: {
                    url: { type: 'string', example: 'data:image/png;base64,iVBORw0KGgo...' },
                    detail: { type: 'string', enum: ['auto', 'low', 'high'] },
                  },
                  required: ['url'],
                },
              },
              required: ['type', 'image_url'],
            },
          ],
        },
      },
    ],
    description:
      'The text, or parts: text parts (joined one a line when there are only text parts) and, on user messages, ' +
      'image_url parts. An image is a data: URL (base64 PNG, JPEG, GIF or WebP), for every provider but echo, ' +
      'which takes and ignores it; or an https: URL, for providers that fetch images themselves (OpenAI-format ' +
      'and Anthropic; the server never fetches it). Null only on an assistant message with `tool_calls`.',
    example: 'What should I see in Lisbon in one day?',
  })
  @Validate(ChatContentConstraint)
  content: string | OpenAiContentPart[] | null;

  /** A participant name; accepted for compatibility and not sent on. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  name?: string;

  /**
   * Taken so that an answer can be sent back as it came; this server's answers never carry a refusal, so it
   * must be null.
   */
  @ApiProperty({ required: false, nullable: true, type: String, example: null })
  @IsOptional()
  @Equals(null, { message: 'refusal must be null: answers from this server never carry one' })
  refusal?: null;

  /** Assistant messages: the tool calls of that answer, as it had them. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @Validate(AssistantOnlyConstraint)
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageToolCallDto)
  tool_calls?: ChatCompletionMessageToolCallDto[];

  /** Tool messages (required there): the id of the tool call whose result this is. */
  @ApiProperty({ required: false, example: 'call_abc123' })
  @Validate(ToolCallIdConstraint)
  tool_call_id?: string;
}

export class FunctionDefinitionDto {
  /** @example "get_weather" */
  @IsString()
  @Matches(FUNCTION_NAME, { message: FUNCTION_NAME_MESSAGE })
  name: string;

  /** @example "The current weather in a city" */
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  /** A JSON Schema of the arguments object; none means no arguments. */
  @ApiProperty({ required: false, type: Object, additionalProperties: true })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;

  /** Hold the arguments to the schema exactly; refused (400) by providers that cannot. */
  @IsOptional()
  @IsBoolean()
  strict?: boolean;
}

export class ChatCompletionToolDto {
  @ApiProperty({ enum: ['function'] })
  @IsIn(['function'])
  type: 'function';

  @ValidateNested()
  @Type(() => FunctionDefinitionDto)
  function: FunctionDefinitionDto;
}

export class JsonSchemaFormatDto {
  /** @example "answer" */
  @IsString()
  @Matches(FUNCTION_NAME, { message: FUNCTION_NAME_MESSAGE })
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiProperty({ required: false, type: Object, additionalProperties: true })
  @IsOptional()
  @IsObject()
  schema?: Record<string, unknown>;

  @IsOptional()
  @IsBoolean()
  strict?: boolean;
}

export class ResponseFormatDto {
  /** `text` is the default and changes nothing. */
  @ApiProperty({ enum: ['text', 'json_object', 'json_schema'] })
  @IsIn(['text', 'json_object', 'json_schema'])
  type: 'text' | 'json_object' | 'json_schema';

  /** Required with `json_schema`. */
  @ValidateIf((format: ResponseFormatDto) => format.type === 'json_schema' || format.json_schema !== undefined)
  @ValidateNested()
  @Type(() => JsonSchemaFormatDto)
  @IsObject({ message: 'json_schema is required when type is "json_schema"' })
  json_schema?: JsonSchemaFormatDto;
}
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

  /** Tools the model may call. An empty list is the same as none. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
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
