import { Injectable } from '@nestjs/common';
import { ChatService } from '../conversations/chat.service';
import { ConversationsService } from '../conversations/conversations.service';
import { UsersService } from '../users/users.service';
import { EmailTakenError } from '../users/users.errors';

export const DEMO_USER = { email: 'demo@example.com', password: 'demo-password', displayName: 'Demo' };

/** Demo data for a first look at the portal. Safe to run twice: an existing demo user is left as it is. */
@Injectable()
export class SeedService {
  constructor(
    private readonly users: UsersService,
    private readonly conversations: ConversationsService,
    private readonly chat: ChatService,
  ) {}

  async seed(log: (line: string) => void): Promise<void> {
    let user;
    try {
      user = await this.users.create(DEMO_USER);
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      log(`demo user ${DEMO_USER.email} already exists; nothing to add`);
      return;
    }
    log(`created demo user ${DEMO_USER.email} (password: ${DEMO_USER.password})`);
    const principal = { id: user.id, email: user.email, role: user.role };
    const conversation = await this.conversations.create(principal, {
      title: 'Welcome to Colloquy',
      model: 'echo/echo',
      systemPrompt: 'You are a helpful assistant.',
    });
    const exchange = await this.chat.send(principal, conversation.id, {
      content: 'Hello! The echo model repeats what I write, so this works offline.',
    });
    await exchange.generation.ended;
    if (exchange.generation.outcome?.error) throw exchange.generation.outcome.error;
    log(`created sample conversation "${conversation.title}" (id ${conversation.id})`);
  }
}
