import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MessageRole = 'user' | 'assistant';
/** complete: the model finished; incomplete: cut short (client left, or stopped); error: the provider failed. */
export type MessageStatus = 'complete' | 'incomplete' | 'error';

@Entity('messages')
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'text' })
  content: string;

  /** The model that answered (assistant) or was asked (user). */
  @Column({ type: 'varchar', length: 200 })
  model: string;

  @Column({ type: 'varchar', length: 16 })
  status: MessageStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens: number | null;

  /** Strictly increasing within a conversation (see MessagesRepository), so history order is stable. */
  @Column({ name: 'created_at' })
  createdAt: Date;
}
