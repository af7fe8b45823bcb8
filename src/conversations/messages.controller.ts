import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
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
import { streamExchange } from './sse';

const NOT_FOUND =
  'The conversation (CONVERSATION_NOT_FOUND) or a message id in it (MESSAGE_NOT_FOUND): not found, or not yours';
const BUSY = 'An answer is being generated in this conversation (GENERATION_IN_PROGRESS): one at a time';
const ANSWERING =
  'With `Accept: text/event-stream`: 200 and Server-Sent Events `user_message` (sends only), any number of ' +
  '`delta` ({"text"}), then one `assistant_message` or `error` ({"statusCode","message","code"}). Without it: 201 ' +
  'with both messages once the answer has ended, or 502/503/504/429 when the provider fails (the messages are ' +
  'kept, the answer with status "error"). The answer is stored before the model is called, with status ' +
  '"streaming", and becomes the current leaf. Disconnecting cancels the model call; the partial answer is ' +
  'stored with status "incomplete".';

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
      'the leaf (latest first, older ones on the following pages). A `cursor` whose message was deleted since ' +
      'is 400 `INVALID_CURSOR`: start again from the first page.',
  })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  async history(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ListMessagesQueryDto,
  ): Promise<MessagesPageResponseDto> {
    const page = await this.messages.history(principal, id, query);
    return { items: page.items.map(MessageResponseDto.from), nextCursor: page.nextCursor };
  }

  @Post()
  @ApiOperation({ summary: 'Send a message and get the answer', description: ANSWERING })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiResponse({ status: 201, type: SendMessageResponseDto })
  @ApiResponse({ status: 200, description: 'text/event-stream of user_message, delta..., assistant_message | error' })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields or model, or a `parentId` that is a user ' +
      'message (PARENT_NOT_ASSISTANT)',
  )
  @ApiError(404, NOT_FOUND)
  @ApiError(409, BUSY)
  @ApiErrors(502, 503, 504)
  async send(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: SendMessageDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SendMessageResponseDto | void> {
    const cancel = cancelOnDisconnect(reply);
    return respond(request, reply, await this.chat.send(principal, id, dto, cancel.signal));
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
  @ApiResponse({ status: 200, description: 'text/event-stream of delta..., assistant_message | error' })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields or model, or a message that answers no ' +
      'question (NOT_A_QUESTION)',
  )
  @ApiError(404, NOT_FOUND)
  @ApiError(409, BUSY)
  @ApiErrors(502, 503, 504)
  async regenerate(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('messageId', ParseUUIDPipe) messageId: string,
    @Body() dto: RegenerateMessageDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SendMessageResponseDto | void> {
    const cancel = cancelOnDisconnect(reply);
    return respond(request, reply, await this.chat.regenerate(principal, id, messageId, dto, cancel.signal));
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
    @Param('id', ParseUUIDPipe) id: string,
    @Param('messageId', ParseUUIDPipe) messageId: string,
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
    @Param('id', ParseUUIDPipe) id: string,
    @Param('messageId', ParseUUIDPipe) messageId: string,
  ): Promise<void> {
    await this.messages.remove(principal, id, messageId);
  }
}

function cancelOnDisconnect(reply: FastifyReply): AbortController {
  const cancel = new AbortController();
  // "close" also fires after a normal end; only an unfinished response means the client went away.
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) cancel.abort();
  });
  return cancel;
}

/** Streams the exchange when the client asked for events, else waits for the answer and returns both messages. */
async function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  exchange: Exchange,
): Promise<SendMessageResponseDto | void> {
  if ((request.headers.accept ?? '').includes('text/event-stream')) {
    await streamExchange(reply, exchange);
    return;
  }
  for await (const event of exchange.events) {
    if (event.type === 'error') throw event.error;
    if (event.type === 'assistant_message') {
      return {
        userMessage: MessageResponseDto.from(exchange.userMessage),
        assistantMessage: MessageResponseDto.from(event.message),
      };
    }
  }
  // Only reached when the client left before the answer was complete; nobody is listening any more.
  return;
}
