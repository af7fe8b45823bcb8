import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '../ai/model-registry.service';
import type { AuthUser } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { TransactionRunner } from '../database/transaction-runner';
import { ConversationsRepository, ConversationListFilter } from './conversations.repository';
import { ConversationNotFoundError, MessageNotFoundError } from './conversations.errors';
import { Conversation } from './entities/conversation.entity';
import { ActiveGeneration, GenerationRegistry } from './generation-registry.service';
import { MessagesRepository } from './messages.repository';

export interface ConversationChanges {
  title?: string;
  model?: string;
  systemPrompt?: string | null;
  archived?: boolean;
}

/** A conversation as clients see it: with the generation running in it, if any. */
export interface ConversationView extends Conversation {
  activeGeneration: ActiveGeneration | null;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly models: ModelRegistry,
    private readonly transactions: TransactionRunner,
    private readonly generations: GenerationRegistry,
  ) {}

  async create(
    principal: AuthUser,
    input: { title?: string; model?: string; systemPrompt?: string },
  ): Promise<ConversationView> {
    const model = input.model ?? (await this.models.defaultModelId());
    await this.models.resolve(model);
    const conversation = await this.conversations.insert({
      ownerId: principal.id,
      title: input.title?.trim() || null,
      model,
      systemPrompt: input.systemPrompt || null,
    });
    return this.view(conversation);
  }

  /** Whether the conversation exists and is the caller's. */
  async isOwned(principal: AuthUser, id: string): Promise<boolean> {
    return (await this.conversations.findOwnedById(principal.id, id)) !== null;
  }

  async getOwned(principal: AuthUser, id: string): Promise<ConversationView> {
    const conversation = await this.conversations.findOwnedById(principal.id, id);
    if (!conversation) throw new ConversationNotFoundError();
    return this.view(conversation);
  }

  async update(principal: AuthUser, id: string, changes: ConversationChanges): Promise<ConversationView> {
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
  ): Promise<Page<ConversationView>> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await this.conversations.listPageForOwner(principal.id, filter, limit, after);
    const page = toPage(rows, limit, (c) => c.updatedAt);
    return { ...page, items: await this.views(page.items) };
  }

  /**
   * Shows the branch through `messageId`: the current leaf becomes the newest message under it, so choosing a
   * sibling shows its latest continuation.
   */
  async setCurrentLeaf(principal: AuthUser, id: string, messageId: string): Promise<ConversationView> {
    const changed = await this.transactions.runOrRefuse(async (manager) => {
      const conversation = await this.conversations.findOwnedForUpdate(manager, principal.id, id);
      if (!conversation) throw new ConversationNotFoundError();
      if (!(await this.messages.findInConversation(id, messageId, manager))) throw new MessageNotFoundError();
      const currentLeafId = await this.messages.newestUnder(manager, id, messageId);
      await this.conversations.update(id, { currentLeafId }, manager);
      return { ...conversation, currentLeafId };
    });
    return this.view(changed);
  }

  /** A new conversation of the caller's holding a copy of the path from the root to `messageId`. */
  async fork(principal: AuthUser, id: string, messageId: string): Promise<ConversationView> {
    const fork = await this.transactions.runOrRefuse(async (manager) => {
      const source = await this.conversations.findOwnedForUpdate(manager, principal.id, id);
      if (!source) throw new ConversationNotFoundError();
      if (!(await this.messages.findInConversation(id, messageId, manager))) throw new MessageNotFoundError();
      const fork = await this.conversations.insert(
        { ownerId: principal.id, title: source.title, model: source.model, systemPrompt: source.systemPrompt },
        manager,
      );
      const path = await this.messages.path(id, messageId, manager);
      const currentLeafId = await this.messages.copyPath(manager, path, fork.id);
      await this.conversations.update(fork.id, { currentLeafId }, manager);
      return { ...fork, currentLeafId };
    });
    return this.view(fork);
  }

  private async view(conversation: Conversation): Promise<ConversationView> {
    return (await this.views([conversation]))[0];
  }

  private async views(conversations: Conversation[]): Promise<ConversationView[]> {
    const active = await this.generations.activeIn(conversations.map((conversation) => conversation.id));
    return conversations.map((conversation, i) => ({ ...conversation, activeGeneration: active[i] }));
  }
}
