import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { ConversationsService } from './conversations.service';
import { ConversationResponseDto, ConversationsPageResponseDto } from './dto/conversation-response.dto';
import { ConversationTreeResponseDto } from './dto/conversation-tree-response.dto';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { ForkConversationDto } from './dto/fork-conversation.dto';
import { ListConversationsQueryDto } from './dto/list-conversations-query.dto';
import { SetCurrentLeafDto } from './dto/set-current-leaf.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';
import { MessagesService } from './messages.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

const INVALID =
  'Invalid input (one message per offending field), unknown fields, or a model that is not available ' +
  '(UNKNOWN_MODEL; GET /ai/models lists the ones that are)';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a conversation' })
  @ApiError(400, INVALID)
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
    @Param('id', ParseUuidParamPipe) id: string,
  ): Promise<ConversationResponseDto> {
    return ConversationResponseDto.from(await this.conversations.getOwned(principal, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, archive, or change the model or system prompt' })
  @ApiError(400, INVALID)
  @ApiErrors(404)
  async update(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Body() dto: UpdateConversationDto,
  ): Promise<ConversationResponseDto> {
    return ConversationResponseDto.from(await this.conversations.update(principal, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation and its messages' })
  @ApiErrors(400, 404)
  async delete(@CurrentUser() principal: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<void> {
    await this.conversations.delete(principal, id);
  }

  @Put(':id/current-leaf')
  @ApiOperation({
    summary: 'Choose the branch to show',
    description:
      'The current leaf becomes the newest message under `messageId` (itself included): choosing a sibling shows ' +
      'its latest continuation. Stored on the server, so every device shows the same branch.',
  })
  @ApiErrors(400, 404)
  async setCurrentLeaf(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Body() dto: SetCurrentLeafDto,
  ): Promise<ConversationResponseDto> {
    return ConversationResponseDto.from(await this.conversations.setCurrentLeaf(principal, id, dto.messageId));
  }

  @Post(':id/fork')
  @ApiOperation({
    summary: 'Copy a branch into a new conversation',
    description:
      'A new conversation of yours, with the title, model and system prompt of this one, holding a copy of the ' +
      'path from the root to `messageId` (new ids; an answer still being generated is copied as `incomplete`).',
  })
  @ApiErrors(400, 404)
  async fork(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Body() dto: ForkConversationDto,
  ): Promise<ConversationResponseDto> {
    return ConversationResponseDto.from(await this.conversations.fork(principal, id, dto.messageId));
  }

  @Get(':id/tree')
  @ApiOperation({
    summary: 'The outline of every branch',
    description: 'Every message with its parent and the first 100 characters of its text, oldest first.',
  })
  @ApiErrors(400, 404)
  async tree(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
  ): Promise<ConversationTreeResponseDto> {
    return ConversationTreeResponseDto.from(await this.messages.tree(principal, id));
  }
}
