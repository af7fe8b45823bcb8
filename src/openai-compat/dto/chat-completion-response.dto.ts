import { ApiProperty } from '@nestjs/swagger';
import type { Usage } from '../../ai/ai-provider';
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

export class ChatCompletionAnswerDto {
  @ApiProperty({ enum: ['assistant'] })
  role: 'assistant';
  content: string;
  /** Always null: no provider here reports refusals apart. */
  refusal: string | null;
}

export class ChatCompletionChoiceDto {
  /** @example 0 */
  index: number;
  message: ChatCompletionAnswerDto;
  /** Always null: log probabilities are not offered. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  logprobs: Record<string, unknown> | null;
  @ApiProperty({ enum: ['stop', 'length', 'content_filter'] })
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
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage: CompletionUsageDto.from(usage),
      system_fingerprint: null,
    };
  }
}

export class ChatCompletionChunkDeltaDto {
  role?: 'assistant';
  content?: string;
}

export class ChatCompletionChunkChoiceDto {
  index: number;
  delta: ChatCompletionChunkDeltaDto;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  logprobs: Record<string, unknown> | null;
  @ApiProperty({ enum: ['stop', 'length', 'content_filter'], nullable: true })
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
