import { applyDecorators, Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ToolCall } from '../ai/ai-provider';
import { UnknownModelError } from '../ai/ai.errors';
import { ModelRegistry } from '../ai/model-registry.service';
import type { AuthUser } from '../common/auth-user';
import { ApiKeyAuth } from '../common/decorators/api-key-auth.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { ChatCompletionsService } from './chat-completions.service';
import { streamCompletion } from './completion-sse';
import { ChatCompletionResponseDto } from './dto/chat-completion-response.dto';
import { CreateChatCompletionDto } from './dto/create-chat-completion.dto';
import { OpenAiErrorResponseDto } from './dto/openai-error-response.dto';
import { OpenAiModelListResponseDto, OpenAiModelResponseDto } from './dto/openai-model-response.dto';
import { OPENAI_COMPAT_PREFIX } from './openai-error';

const ERRORS: Record<number, string> = {
  400:
    'Invalid request (validation_failed), or a field the chosen model cannot honour, e.g. `seed` for Anthropic ' +
    '(unsupported_parameter); `param` names the field (invalid_request_error). Also the provider refusing the ' +
    'request itself, e.g. images to a model without vision (upstream_rejected, with its reason)',
  401: 'Missing, unknown, expired or revoked API key, or a disabled account (invalid_api_key)',
  404: 'Unknown model (model_not_found)',
  413: 'Request body too large',
  429:
    'Too many requests, or too many refused API keys from this address, here or at the provider ' +
    '(rate_limit_exceeded), or the call would pass one of your quotas (insufficient_quota); see Retry-After',
  502: 'The model provider failed (upstream_error)',
  503:
    'The model provider is unavailable (upstream_unavailable), or the server is shutting down and stopped the call ' +
    '(service_unavailable; try again)',
  504: 'The model provider did not answer in time (upstream_timeout)',
};
const ApiOpenAiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: ERRORS[status], type: OpenAiErrorResponseDto })),
  );

/**
 * OpenAI's API over the portal's models, for OpenAI's SDKs and the tools built on them: point their base URL
 * at `<server>/v1` and use a personal API key. Errors come in OpenAI's shape (OpenAiErrorDialect).
 */
@ApiTags('openai-compatible')
@ApiKeyAuth()
@ApiOpenAiErrors(401, 429)
@Controller(OPENAI_COMPAT_PREFIX)
export class OpenAiCompatController {
  constructor(
    private readonly models: ModelRegistry,
    private readonly completions: ChatCompletionsService,
  ) {}

  @Get('models')
  @ApiOperation({ summary: 'The models available now, as OpenAI lists them' })
  async listModels(): Promise<OpenAiModelListResponseDto> {
    return OpenAiModelListResponseDto.from(await this.models.listModels());
  }

  @Get('models/:model')
  @ApiOperation({
    summary: 'One model',
    description:
      'Model ids contain a slash (`openai/gpt-4o-mini`). Send it encoded (`/v1/models/openai%2Fgpt-4o-mini`) or ' +
      'as it is (`/v1/models/openai/gpt-4o-mini`): both find the model.',
  })
  @ApiParam({ name: 'model', description: 'A model id from GET /v1/models', example: 'openai/gpt-4o-mini' })
  @ApiOpenAiErrors(404)
  async getModel(@Param('model') id: string): Promise<OpenAiModelResponseDto> {
    return this.modelById(id);
  }

  /**
   * Some versions of OpenAI's SDKs put the id in the path without encoding its slash. The rest of the path may hold
   * more slashes (`ollama/hf.co/org/model`). Left out of the document: it is GET /v1/models/{model} above.
   */
  @Get('models/:provider/*')
  @ApiExcludeEndpoint()
  async getModelBySlashedPath(
    @Param('provider') provider: string,
    @Param('*') rest: string,
  ): Promise<OpenAiModelResponseDto> {
    return this.modelById(`${provider}/${rest}`);
  }

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a chat completion, as OpenAI does',
    description:
      'Without `stream`: one `chat.completion`. With `stream: true`: Server-Sent Events, each `data:` a ' +
      '`chat.completion.chunk`, then `data: [DONE]`; `stream_options.include_usage` adds a last chunk with the ' +
      'usage. A provider failure before the first token answers with its status (429 with Retry-After, 502, ' +
      '503, 504); one after it is sent as a `data: {"error": ...}` frame, and the stream ends without [DONE]. ' +
      "Tools, tool calls and results, images (`image_url` parts) and the sampling settings take OpenAI's shapes " +
      'for every provider; streamed tool calls come as `tool_calls` deltas, and an answer that calls tools ends with ' +
      '`finish_reason: "tool_calls"`. ' +
      'Disconnecting cancels the model call. Every call to a model that exists is recorded in GET /users/me/usage; ' +
      'an unknown model is refused (404) and not recorded.',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiResponse({ status: 200, type: ChatCompletionResponseDto, description: 'The answer, or its event stream' })
  @ApiOpenAiErrors(400, 404, 413, 502, 503, 504)
  async createChatCompletion(
    @CurrentUser() principal: AuthUser,
    @Body() dto: CreateChatCompletionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatCompletionResponseDto | void> {
    const cancel = new AbortController();
    // "close" also fires after a normal end; only an unfinished response means the client went away.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) cancel.abort();
    });
    const completion = await this.completions.create(principal, dto, cancel.signal);
    if (dto.stream) {
      await streamCompletion(reply, completion, dto.stream_options?.include_usage === true);
      return;
    }
    let content = '';
    const toolCalls: ToolCall[] = [];
    for await (const event of completion.events) {
      if (event.type === 'delta') content += event.text;
      else if (event.type === 'toolCall') {
        const call = (toolCalls[event.index] ??= { id: event.id ?? '', name: event.name ?? '', arguments: '' });
        call.arguments += event.arguments;
      } else if (event.type === 'error') throw event.error;
      else {
        // A vendor may skip an index; the answer lists the calls it made, in order, without gaps.
        const calls = Object.values(toolCalls);
        return ChatCompletionResponseDto.from(completion, content, calls, event.usage, event.finishReason);
      }
    }
    // Only reached when the client left before the answer was complete; nobody is listening any more.
    return;
  }

  private async modelById(id: string): Promise<OpenAiModelResponseDto> {
    const model = (await this.models.listModels()).find((candidate) => candidate.id === id);
    if (!model) throw new UnknownModelError(id);
    return OpenAiModelResponseDto.from(model);
  }
}
