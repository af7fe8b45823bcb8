import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '../ai/model-registry.service';
import type { AuthUser } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { ConversationsRepository, ConversationListFilter } from './conversations.repository';
import { ConversationNotFoundError } from './conversations.errors';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { MessagesRepository } from './messages.repository';

export interface ConversationChanges {
  title?: string;
  model?: string;
  systemPrompt?: string | null;
  archived?: boolean;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly models: ModelRegistry,
  ) {}

  async create(
    principal: AuthUser,
    input: { title?: string; model?: string; systemPrompt?: string },
  ): Promise<Conversation> {
    const model = input.model ?? (await this.models.defaultModelId());
    await this.models.resolve(model);
    return this.conversations.insert({
      ownerId: principal.id,
      title: input.title?.trim() || null,
      model,
      systemPrompt: input.systemPrompt || null,
    });
  }

  async getOwned(principal: AuthUser, id: string): Promise<Conversation> {
    const conversation = await this.conversations.findOwnedById(principal.id, id);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  }

  async update(principal: AuthUser, id: string, changes: ConversationChanges): Promise<Conversation> {
    const conversation = await this.getOwned(principal, id);
    if (changes.model !== undefined) await this.models.resolve(changes.model);
    const update: ConversationChanges = {};
    if (changes.title !== undefined) update.title = changes.title.trim();
    if (changes.model !== undefined) update.model = changes.model;
    if (changes.systemPrompt !== undefined) update.systemPrompt = changes.systemPrompt || null;
    if (changes.archived !== undefined) update.archived = changes.archived;
    if (Object.keys(update).length === 0) return conversation;
    await this.conversations.update(id, { ...update, updatedAt: new Date() });
    return this.getOwned(principal, id);
  }

  async delete(principal: AuthUser, id: string): Promise<void> {
    if (!(await this.conversations.deleteOwned(principal.id, id))) throw new ConversationNotFoundError();
  }

  async list(
    principal: AuthUser,
    filter: ConversationListFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<Conversation>> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await this.conversations.listPageForOwner(principal.id, filter, limit, after);
    return toPage(rows, limit, (c) => c.updatedAt);
  }

  async history(principal: AuthUser, id: string, limit: number, cursor?: string): Promise<Page<Message>> {
    await this.getOwned(principal, id);
    const after = cursor ? decodeCursor(cursor) : undefined;
    return toPage(await this.messages.listPage(id, limit, after), limit, (m) => m.createdAt);
  }
}
