import { ApiProperty } from '@nestjs/swagger';
import type { ToolCall, Usage } from '../../ai/ai-provider';
import type { OpenAiFinishReason } from '../chat-messages';

/** What a completion is known by, on every chunk and on the whole answer. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export class CompletionUsageDto {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;

  /** A provider that reports no counts shows as zeros. */
  static from(usage: Usage | null): CompletionUsageDto {
    const prompt = usage?.promptTokens ?? 0;
    const completion = usage?.completionTokens ?? 0;
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }
}

const FINISH_REASONS: OpenAiFinishReason[] = ['stop', 'length', 'content_filter', 'tool_calls'];

export class ChatCompletionFunctionCallDto {
  /** @example "get_weather" */
  name: string;
  // Set here rather than as a JSDoc @example, whose escaped quotes the Swagger plugin drops.
  @ApiProperty({ description: 'JSON text, as the model wrote it.', example: '{"city":"Lisbon"}' })
  arguments: string;
}

export class ChatCompletionToolCallDto {
  /** Send it back as the `tool_call_id` of the tool's result. @example "call_abc123" */
  id: string;
  @ApiProperty({ enum: ['function'] })
  type: 'function';
  function: ChatCompletionFunctionCallDto;
}

export class ChatCompletionAnswerDto {
  @ApiProperty({ enum: ['assistant'] })
  role: 'assistant';
  /** Null when the answer is only tool calls. */
  @ApiProperty({ type: String, nullable: true })
  content: string | null;
  /** Always null: no provider here reports refusals apart. */
  refusal: string | null;
  /** The tools the model wants called, in order; absent when it called none. */
  tool_calls?: ChatCompletionToolCallDto[];
}

export class ChatCompletionChoiceDto {
  /** @example 0 */
  index: number;
  message: ChatCompletionAnswerDto;
  /** Always null: log probabilities are not offered. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  logprobs: Record<string, unknown> | null;
  @ApiProperty({ enum: FINISH_REASONS })
  finish_reason: OpenAiFinishReason;
}

export class ChatCompletionResponseDto {
  /** @example "chatcmpl-9f1c2a9e8b7d4c1e9f001a2b3c4d5e6f" */
  id: string;
  @ApiProperty({ enum: ['chat.completion'] })
  object: 'chat.completion';
  /** Unix time in seconds. */
  created: number;
  /** @example "openai/gpt-4o-mini" */
  model: string;
  choices: ChatCompletionChoiceDto[];
  usage: CompletionUsageDto;
  /** Always null. */
  system_fingerprint: string | null;

  static from(
    completion: CompletionIdentity,
    content: string,
    toolCalls: ToolCall[],
    usage: Usage | null,
    finishReason: OpenAiFinishReason,
  ): ChatCompletionResponseDto {
    return {
      id: completion.id,
      object: 'chat.completion',
      created: completion.created,
      model: completion.model,
      choices: [
        {
          index: 0,
          message:
            toolCalls.length > 0
              ? {
                  role: 'assistant',
                  content: content || null,
                  refusal: null,
                  tool_calls: toolCalls.map(({ id, name, arguments: args }) => ({
                    id,
                    type: 'function',
                    function: { name, arguments: args },
                  })),
                }
              : { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage: CompletionUsageDto.from(usage),
      system_fingerprint: null,
    };
  }
}

export class ChatCompletionChunkFunctionDto {
  /** On the first piece of a call only. */
  name?: string;
  /** The next piece of the arguments' JSON text. */
  arguments: string;
}

/** A piece of a tool call: the first piece of each carries its `id`, `type` and name. */
export class ChatCompletionChunkToolCallDto {
  /** Which call of the answer this piece belongs to: 0, 1, ... */
  index: number;
  id?: string;
  @ApiProperty({ enum: ['function'], required: false })
  type?: 'function';
  function: ChatCompletionChunkFunctionDto;
}

export class ChatCompletionChunkDeltaDto {
  role?: 'assistant';
  content?: string;
  tool_calls?: ChatCompletionChunkToolCallDto[];

  static toolCall(piece: {
    index: number;
    id?: string;
    name?: string;
    arguments: string;
  }): ChatCompletionChunkDeltaDto {
    const { index, id, name, arguments: args } = piece;
    if (id === undefined) return { tool_calls: [{ index, function: { arguments: args } }] };
    return { tool_calls: [{ index, id, type: 'function', function: { name: name ?? '', arguments: args } }] };
  }
}

export class ChatCompletionChunkChoiceDto {
  index: number;
  delta: ChatCompletionChunkDeltaDto;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  logprobs: Record<string, unknown> | null;
  @ApiProperty({ enum: FINISH_REASONS, nullable: true })
  finish_reason: OpenAiFinishReason | null;
}

/** One `data:` frame of a streamed answer. */
export class ChatCompletionChunkDto {
  id: string;
  @ApiProperty({ enum: ['chat.completion.chunk'] })
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  /** Always null. */
  system_fingerprint: string | null;
  /** Empty on the usage chunk. */
  choices: ChatCompletionChunkChoiceDto[];
  /** Present only with `stream_options.include_usage`: null on every chunk but the last one before [DONE]. */
  usage?: CompletionUsageDto | null;

  static delta(
    completion: CompletionIdentity,
    delta: ChatCompletionChunkDeltaDto,
    finishReason: OpenAiFinishReason | null,
    includeUsage: boolean,
  ): ChatCompletionChunkDto {
    return {
      ...ChatCompletionChunkDto.base(completion),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage && { usage: null }),
    };
  }

  static usage(completion: CompletionIdentity, usage: Usage | null): ChatCompletionChunkDto {
    return { ...ChatCompletionChunkDto.base(completion), choices: [], usage: CompletionUsageDto.from(usage) };
  }

  private static base(completion: CompletionIdentity) {
    return {
      id: completion.id,
      object: 'chat.completion.chunk' as const,
      created: completion.created,
      model: completion.model,
      system_fingerprint: null,
    };
  }
}
