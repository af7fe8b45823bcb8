import { QuotaExceededResponseDto } from '../quotas/dto/quota-exceeded-response.dto';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { ChatService, Exchange } from './chat.service';
import { EditMessageDto } from './dto/edit-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { MessageResponseDto, MessagesPageResponseDto, SendMessageResponseDto } from './dto/message-response.dto';
import { RegenerateMessageDto } from './dto/regenerate-message.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { MessagesService } from './messages.service';
import { asksForEventStream, streamGeneration } from './generation-sse';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

const NOT_FOUND =
  'The conversation (CONVERSATION_NOT_FOUND) or a message id in it (MESSAGE_NOT_FOUND): not found, or not yours';
const QUOTA =
  'Too many requests (RATE_LIMITED), or the call would pass one of your quotas (QUOTA_EXCEEDED, with the `limit`, ' +
  'what is `used` of it and when it `resetsAt`; nothing is stored), or the provider rate-limited the call ' +
  '(UPSTREAM_RATE_LIMITED; the messages are kept, the answer with status "error"); see Retry-After';
const REJECTED =
  'the provider refused the request itself, e.g. images to a model that takes none (UPSTREAM_REJECTED, with its ' +
  'reason; the messages are kept, the answer with status "error")';
const BUSY = 'An answer is being generated in this conversation (GENERATION_IN_PROGRESS): one at a time';
const ANSWERING =
  'The answer is stored before the model is called, with status "streaming", becomes the current leaf, and is ' +
  'produced by a generation that runs on the server on its own: disconnecting does not stop it (POST ' +
  '.../generations/{generationId}/cancel does), and GET .../generations/{generationId}/events resumes it. With ' +
  '`Accept: text/event-stream`: 200 and Server-Sent Events, each with an `id:` counting from 1 within the ' +
  'generation: `user_message` (sends only), `generation` ({"id","assistantMessage"}: the generation id, a ' +
  'random UUID, and the answer as created), any number of `delta` ({"text"}), then one `assistant_message` (the ' +
  'stored answer, "complete" or "incomplete") or `error` ({"statusCode","code","message"}; the answer is stored ' +
  'with what had arrived and status "error"). Without it: 201 with both messages once the answer has ended, or ' +
  '400/429/502/504 when the provider refuses the request or fails (the messages are kept, the answer with ' +
  'status "error"): 400 UPSTREAM_REJECTED, 429 UPSTREAM_RATE_LIMITED, 504 UPSTREAM_TIMEOUT, and 502 for any ' +
  'other failure (UPSTREAM_ERROR, or UPSTREAM_UNAVAILABLE when it is overloaded or paused for a cool-down).';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('conversations/:id/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly chat: ChatService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'A page of one branch: the path from the root to a leaf',
    description:
      'The leaf is `leafId`, or the current leaf. `order=asc` (the default) starts at the root, `order=desc` at ' +
      'the leaf (latest first, older ones on the following pages). Each page reads the leaf anew, so messages added ' +
      'below it meanwhile come on the following pages of `order=asc`. A cursor whose message was deleted since, or, ' +
      'with `order=asc`, one that is no longer on the path to the leaf (the current leaf moved to another branch), ' +
      'is 400 `INVALID_CURSOR`: start again from the first page.',
  })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  async history(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Query() query: ListMessagesQueryDto,
  ): Promise<MessagesPageResponseDto> {
    const page = await this.messages.history(principal, id, query);
    return { items: page.items.map(MessageResponseDto.from), nextCursor: page.nextCursor };
  }

  @Post()
  @ApiOperation({ summary: 'Send a message and get the answer', description: ANSWERING })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiResponse({ status: 201, type: SendMessageResponseDto })
  @ApiResponse({
    status: 200,
    description: 'text/event-stream of user_message, generation, delta..., assistant_message | error',
  })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, a model that is not available ' +
      '(UNKNOWN_MODEL), a `parentId` that is a user message (PARENT_NOT_ASSISTANT), a file in `fileIds` that is ' +
      `still processing or failed (FILE_NOT_READY), or ${REJECTED}`,
  )
  @ApiError(404, `${NOT_FOUND}, or a file in \`fileIds\` (FILE_NOT_FOUND)`)
  @ApiError(409, BUSY)
  @ApiResponse({ status: 429, description: QUOTA, type: QuotaExceededResponseDto })
  @ApiErrors(502, 503, 504)
  async send(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Body() dto: SendMessageDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SendMessageResponseDto | void> {
    return respond(request, reply, await this.chat.send(principal, id, dto));
  }

  @Post(':messageId/regenerate')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Answer a question again',
    description:
      'A new answer to the user message `messageId` (or, for an assistant message, to its question), beside the ' +
      `earlier ones. ${ANSWERING} \`userMessage\` is the question answered.`,
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiResponse({ status: 201, type: SendMessageResponseDto })
  @ApiResponse({ status: 200, description: 'text/event-stream of generation, delta..., assistant_message | error' })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, a model that is not available ' +
      `(UNKNOWN_MODEL), a message that answers no question (NOT_A_QUESTION), or ${REJECTED}`,
  )
  @ApiError(404, NOT_FOUND)
  @ApiError(409, BUSY)
  @ApiResponse({ status: 429, description: QUOTA, type: QuotaExceededResponseDto })
  @ApiErrors(502, 503, 504)
  async regenerate(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Param('messageId', ParseUuidParamPipe) messageId: string,
    @Body() dto: RegenerateMessageDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SendMessageResponseDto | void> {
    return respond(request, reply, await this.chat.regenerate(principal, id, messageId, dto));
  }

  @Patch(':messageId')
  @ApiOperation({
    summary: "Replace a message's text in place",
    description: 'Sets `editedAt`; no new branch and no model call. To ask a question differently, send it anew.',
  })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  @ApiError(409, 'This message is being generated (GENERATION_IN_PROGRESS)')
  async edit(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Param('messageId', ParseUuidParamPipe) messageId: string,
    @Body() dto: EditMessageDto,
  ): Promise<MessageResponseDto> {
    return MessageResponseDto.from(await this.messages.edit(principal, id, messageId, dto.content));
  }

  @Delete(':messageId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a message and every message below it',
    description:
      'A current leaf among them moves to the newest remaining leaf under the deleted message’s parent, or to ' +
      'null when the conversation is left empty.',
  })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  @ApiError(409, 'An answer below this message is being generated (GENERATION_IN_PROGRESS)')
  async remove(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Param('messageId', ParseUuidParamPipe) messageId: string,
  ): Promise<void> {
    await this.messages.remove(principal, id, messageId);
  }
}

/**
 * Subscribes the request to the generation it started, as Server-Sent Events when the client asked for them,
 * else by waiting for the end and answering with both messages (or the failure's status).
 */
async function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  exchange: Exchange,
): Promise<SendMessageResponseDto | void> {
  if (asksForEventStream(request.headers.accept)) {
    await streamGeneration(reply, exchange.generation, 0);
    return;
  }
  await exchange.generation.ended;
  const { message, error } = exchange.generation.outcome!;
  if (error) throw error;
  return { userMessage: MessageResponseDto.from(exchange.userMessage), assistantMessage: message! };
}
