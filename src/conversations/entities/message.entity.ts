import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MessageRole = 'user' | 'assistant';
/**
 * streaming: its answer is being generated; complete: the model finished; incomplete: cut short (cancelled, or
 * the process ended); error: the provider failed.
 */
export type MessageStatus = 'streaming' | 'complete' | 'incomplete' | 'error';

@Entity('messages')
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  /** A message of the same conversation, older than this one; null for a first message. Set once. */
  @Column({ name: 'parent_id', type: 'varchar', length: 36, nullable: true })
  parentId: string | null;

  /** 1 for a first message, its parent's + 1 otherwise. Set once (see database/ancestry.ts). */
  @Column({ type: 'integer' })
  depth: number;

  /** An ancestor at most as deep as the parent, to find any ancestor in few steps; null for a first message. */
  @Column({ name: 'jump_id', type: 'varchar', length: 36, nullable: true })
  jumpId: string | null;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'text' })
  content: string;

  /** The model asked: for an answer, the one its question went to (`servedBy` says which one answered). */
  @Column({ type: 'varchar', length: 200 })
  model: string;

  /**
   * Answers: the model that actually answered, `model` or a fallback of it (MODEL_FALLBACKS); null for
   * questions, and for answers that no model began.
   */
  @Column({ name: 'served_by', type: 'varchar', length: 200, nullable: true })
  servedBy: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: MessageStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens: number | null;

  /**
   * Strictly increasing within a conversation (see MessagesRepository): so on every path it grows from the root
   * to the leaf, and (created_at, id) orders a path as well as the whole conversation.
   */
  @Column({ name: 'created_at' })
  createdAt: Date;

  /** When its text was last replaced in place; null if never. */
  @Column({ name: 'edited_at', type: Date, nullable: true })
  editedAt: Date | null;
}
