import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Validate,
  ValidateNested,
} from 'class-validator';
import {
  AssistantOnlyConstraint,
  ChatContentConstraint,
  JsonObjectTextConstraint,
  ToolCallIdConstraint,
  type OpenAiContentPart,
} from '../chat-content.validator';
import type { OpenAiRole } from '../chat-messages';
import { FUNCTION_NAME, FUNCTION_NAME_MESSAGE } from './chat-completion-options.dto';

const ROLES: readonly OpenAiRole[] = ['system', 'developer', 'user', 'assistant', 'tool'];

export class ChatCompletionToolCallFunctionDto {
  /** @example "get_weather" */
  @IsString()
  @Matches(FUNCTION_NAME, { message: FUNCTION_NAME_MESSAGE })
  name: string;

  // The Swagger plugin drops the escaped quotes of a JSDoc @example, which would show {\city\:\Lisbon\}.
  @ApiProperty({
    description: 'The arguments as the model wrote them: the text of a JSON object.',
    example: '{"city":"Lisbon"}',
  })
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

  @IsObject()
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
      'image_url parts. An image is a data: URL (base64 PNG, JPEG, GIF or WebP, its bytes of the type it says), ' +
      'for every provider but echo, which takes and ignores it; or an https: URL, for providers that fetch images ' +
      'themselves (OpenAI-format and Anthropic; the server never fetches it). Null only on an assistant message ' +
      'with `tool_calls`.',
    example: 'What should I see in Lisbon in one day?',
  })
  @Validate(ChatContentConstraint)
  content: string | OpenAiContentPart[] | null;

  /**
   * A participant name, to tell apart several speakers of one role: sent on to OpenAI-format providers when it is
   * one they take (letters, digits, `_` and `-`, up to 64). The Anthropic and Ollama APIs have no place for it,
   * and a tool message's is not sent (its tool_call_id says which call it answers).
   */
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
  @IsObject({ each: true, message: 'tool_calls must be an array of objects' })
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageToolCallDto)
  tool_calls?: ChatCompletionMessageToolCallDto[];

  /** Tool messages (required there): the id of the tool call whose result this is. */
  @ApiProperty({ required: false, example: 'call_abc123' })
  @Validate(ToolCallIdConstraint)
  tool_call_id?: string;
}
