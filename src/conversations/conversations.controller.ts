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
import { ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { ChatService } from './chat.service';
import { ConversationsService } from './conversations.service';
import { ConversationResponseDto, ConversationsPageResponseDto } from './dto/conversation-response.dto';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { ListConversationsQueryDto } from './dto/list-conversations-query.dto';
import { MessageResponseDto, MessagesPageResponseDto, SendMessageResponseDto } from './dto/message-response.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';
import { streamExchange } from './sse';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly chat: ChatService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a conversation' })
  @ApiErrors(400)
  async create(
    @CurrentUser() principal: AuthUser,
    @Body() dto: CreateConversationDto,
  ): Promise<ConversationResponseDto> {
    return ConversationResponseDto.from(await this.conversations.create(principal, dto));
  }

  @Get()
  @ApiOperation({ summary: 'Your conversations, most recently updated first; `q` searches titles and messages' })
  @ApiErrors(400)
  async list(
    @CurrentUser() principal: AuthUser,
    @Query() query: ListConversationsQueryDto,
  ): Promise<ConversationsPageResponseDto> {
    const page = await this.conversations.list(
      principal,
      { archived: query.archived, q: query.q },
      query.limit,
      query.cursor,
    );
    return { items: page.items.map(ConversationResponseDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One conversation' })
  @ApiErrors(400, 404)
  async get(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<ConversationResponseDto> {
    return ConversationResponseDto.from(await this.conversations.getOwned(principal, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, archive, or change the model or system prompt' })
  @ApiErrors(400, 404)
  async update(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateConversationDto,
  ): Promise<ConversationResponseDto> {
    return ConversationResponseDto.from(await this.conversations.update(principal, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation and its messages' })
  @ApiErrors(400, 404)
  async delete(@CurrentUser() principal: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.conversations.delete(principal, id);
  }

  @Get(':id/messages')
  @ApiOperation({ summary: 'History, oldest first; the cursor walks forward' })
  @ApiErrors(400, 404)
  async history(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<MessagesPageResponseDto> {
    const page = await this.conversations.history(principal, id, query.limit, query.cursor);
    return { items: page.items.map(MessageResponseDto.from), nextCursor: page.nextCursor };
  }

  @Post(':id/messages')
  @ApiOperation({
    summary: 'Send a message and get the answer',
    description:
      'Without `Accept: text/event-stream`: 201 with both stored messages, or 502/503/504/429 when the provider ' +
      'fails (the user message and an assistant message with status "error" are stored). With it: 200 and ' +
      'Server-Sent Events `user_message`, any number of `delta` ({"text"}), then one `assistant_message` or ' +
      '`error` ({"statusCode","message","code"}). Disconnecting cancels the model call; the partial answer is ' +
      'stored with status "incomplete".',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiResponse({ status: 201, type: SendMessageResponseDto })
  @ApiResponse({ status: 200, description: 'text/event-stream of user_message, delta..., assistant_message | error' })
  @ApiErrors(400, 404, 502, 503, 504)
  async send(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: SendMessageDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SendMessageResponseDto | void> {
    const cancel = new AbortController();
    // "close" also fires after a normal end; only an unfinished response means the client went away.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) cancel.abort();
    });
    const exchange = await this.chat.send(principal, id, dto, cancel.signal);
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
}
