import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth-user';
import { InvalidCursorError } from '../common/errors/app.error';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { TransactionRunner } from '../database/transaction-runner';
import { ConversationsRepository } from './conversations.repository';
import { ConversationNotFoundError, GenerationInProgressError, MessageNotFoundError } from './conversations.errors';
import { Conversation } from './entities/conversation.entity';
import { MessagesRepository, PlacedMessage, TreeNode } from './messages.repository';

export interface HistoryQuery {
  limit: number;
  cursor?: string;
  /** Default: the conversation's current leaf. */
  leafId?: string;
  order: 'asc' | 'desc';
}

export interface ConversationTree {
  currentLeafId: string | null;
  items: TreeNode[];
}

/** Reading a conversation's branches, and changing its messages without calling a model. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  /** A page of the path from the root to the leaf, from either end. */
  async history(principal: AuthUser, conversationId: string, query: HistoryQuery): Promise<Page<PlacedMessage>> {
    const conversation = await this.owned(principal, conversationId);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    let leafId = conversation.currentLeafId;
    if (query.leafId) {
      if (!(await this.messages.findInConversation(conversationId, query.leafId))) throw new MessageNotFoundError();
      leafId = query.leafId;
    }
    if (!leafId) return { items: [], nextCursor: null };
    const rows = await this.messages.pathPage(conversationId, {
      leafId,
      order: query.order,
      limit: query.limit,
      after,
    });
    // Read from the root, a page goes down the leaf's path from the cursor's depth, so it follows on only when the
    // cursor is on that path: the leaf may have moved to another branch since the cursor was given (from the leaf
    // up, the path above the cursor is the cursor's own whatever the leaf).
    if (after && query.order === 'asc' && (rows.length > 0 ? rows[0].parentId !== after.id : after.id !== leafId)) {
      throw new InvalidCursorError();
    }
    return toPage(rows, query.limit, (message) => message.createdAt);
  }

  /** Replaces a message's text where it stands: no new branch, no model call. */
  async edit(principal: AuthUser, conversationId: string, messageId: string, content: string): Promise<PlacedMessage> {
    await this.transactions.runOrRefuse(async (manager) => {
      if (!(await this.conversations.findOwnedForUpdate(manager, principal.id, conversationId))) {
        throw new ConversationNotFoundError();
      }
      const message = await this.messages.findInConversation(conversationId, messageId, manager);
      if (!message) throw new MessageNotFoundError();
      if (message.status === 'streaming') {
        throw new GenerationInProgressError('this answer is being generated; edit it once it has ended');
      }
      await this.messages.update(manager, messageId, { content, editedAt: new Date() });
    });
    const [edited] = await this.messages.findPlaced(conversationId, [messageId]);
    return edited;
  }

  /**
   * Deletes a message and everything below it. A current leaf among them moves to the newest leaf left under
   * the deleted message's parent (the newest message of the conversation, for a first message), or to none.
   */
  async remove(principal: AuthUser, conversationId: string, messageId: string): Promise<void> {
    await this.transactions.runOrRefuse(async (manager) => {
      const conversation = await this.conversations.findOwnedForUpdate(manager, principal.id, conversationId);
      if (!conversation) throw new ConversationNotFoundError();
      const message = await this.messages.findInConversation(conversationId, messageId, manager);
      if (!message) throw new MessageNotFoundError();
      const below = await this.messages.inspectSubtree(manager, conversationId, messageId, conversation.currentLeafId);
      if (below.streaming) {
        throw new GenerationInProgressError('an answer is being generated below this message; wait for it to end');
      }
      await this.messages.deleteSubtree(manager, conversationId, messageId);
      if (below.holdsLeaf) {
        const currentLeafId = await this.messages.newestUnder(manager, conversationId, message.parentId);
        await this.conversations.update(conversationId, { currentLeafId }, manager);
      }
    });
  }

  async tree(principal: AuthUser, conversationId: string): Promise<ConversationTree> {
    const conversation = await this.owned(principal, conversationId);
    return { currentLeafId: conversation.currentLeafId, items: await this.messages.outline(conversationId) };
  }

  private async owned(principal: AuthUser, id: string): Promise<Conversation> {
    const conversation = await this.conversations.findOwnedById(principal.id, id);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  }
}
