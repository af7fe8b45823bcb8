import { Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { InvalidEventIdError } from './conversations.errors';
import { GenerationEventsQueryDto } from './dto/generation-events-query.dto';
import { GenerationRegistry } from './generation-registry.service';
import { streamGeneration } from './generation-sse';
import { MAX_BUFFERED_CHARS, MAX_BUFFERED_DELTAS } from './generation';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';
import { GenerationNotFoundError } from './conversations.errors';
import { ConversationsService } from './conversations.service';

const NOT_FOUND =
  'No such generation in this conversation (GENERATION_NOT_FOUND): unknown, another user’s, or ended more than ' +
  '5 minutes ago, or of a conversation since deleted';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401, 429)
@ApiParam({ name: 'id', description: 'The conversation' })
@ApiParam({
  name: 'generationId',
  description:
    'A random UUID made for each answer: the `id` of the `generation` event of a send or regeneration, or the ' +
    'conversation’s `activeGeneration.id`',
})
@Controller('conversations/:id/generations/:generationId')
export class GenerationsController {
  constructor(
    private readonly generations: GenerationRegistry,
    private readonly conversations: ConversationsService,
  ) {}

  @Get('events')
  @ApiOperation({
    summary: 'Follow a generation, or resume following it',
    description:
      'The generation’s Server-Sent Events after event `n` (`Last-Event-ID: n`, or `?after=n`; all of them ' +
      'without either), then the live ones as they come, ending with `assistant_message` or `error`, as when ' +
      'sending. For a generation that has ended, its remaining events at once. Events stay readable for at least ' +
      '5 minutes after the end. The latest deltas (up to ' +
      `${MAX_BUFFERED_DELTAS} of them or ${MAX_BUFFERED_CHARS} characters) come one by one; older ones after \`n\` ` +
      'come first as one `delta` carrying exactly their text, whose id is that of the last of them. A client ' +
      'that joins every `delta` in order therefore has the answer with no gap and ' +
      'no repetition, whether it resumes or starts from nothing (a reload sends no `Last-Event-ID`, and gets ' +
      '`user_message`, `generation`, the text so far in one `delta`, then the rest). Any server process serves ' +
      'any generation (with REDIS_URL); when the process generating it stops, another process stores the answer ' +
      '`incomplete` with the text shown so far and the stream ends with that `assistant_message` (with an `error` ' +
      'event whose code is `GENERATION_LOST` only when Redis lost the generation too).',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event received' })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'text/event-stream of the events after n, then the live ones' })
  @ApiError(
    400,
    'An id that is not a UUID, or an `after` / `Last-Event-ID` that is not a whole number >= 0 (INVALID_EVENT_ID for ' +
      'the header)',
  )
  @ApiError(404, NOT_FOUND)
  async events(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Param('generationId', ParseUuidParamPipe) generationId: string,
    @Query() query: GenerationEventsQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    // An empty header means none: the SSE spec's "no last event id" (EventSource never sends one empty).
    const after = lastEventId?.trim() ? parseEventId(lastEventId) : (query.after ?? 0);
    await this.checkConversation(principal, id);
    const { generation, release } = await this.generations.follow(principal, id, generationId);
    try {
      await streamGeneration(reply, generation, after);
    } finally {
      release();
    }
  }

  @Post('cancel')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Stop a generation, from any client',
    description:
      'Closes the request to the model, stores the answer so far with status "incomplete", and ends every open ' +
      'stream of the generation with `assistant_message`. Answers once that is done.',
  })
  @ApiResponse({ status: 202, description: 'Stopped; the answer so far is stored' })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  @ApiError(409, 'The generation has already ended (GENERATION_ENDED)')
  async cancel(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Param('generationId', ParseUuidParamPipe) generationId: string,
  ): Promise<void> {
    await this.checkConversation(principal, id);
    await this.generations.cancel(principal, id, generationId);
  }

  /** A deleted conversation's answers are gone with it, though their events are kept a while after they end. */
  private async checkConversation(principal: AuthUser, id: string): Promise<void> {
    if (!(await this.conversations.isOwned(principal, id))) throw new GenerationNotFoundError();
  }
}

function parseEventId(header: string): number {
  const trimmed = header.trim();
  if (!/^\d{1,10}$/.test(trimmed) || Number(trimmed) > 2_147_483_647) throw new InvalidEventIdError();
  return Number(trimmed);
}
