import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('conversations')
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'varchar', length: 36 })
  ownerId: string;

  /** Null until set, or until the first message names it. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  title: string | null;

  /** `<provider>/<model>` used when a message names none. */
  @Column({ type: 'varchar', length: 200 })
  model: string;

  @Column({ name: 'system_prompt', type: 'text', nullable: true })
  systemPrompt: string | null;

  @Column({ type: 'boolean', default: false })
  archived: boolean;

  /** The last message of the branch being looked at, kept here so that every device shows the same one. */
  @Column({ name: 'current_leaf_id', type: 'varchar', length: 36, nullable: true })
  currentLeafId: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  /** Moves forward with every message, so the list shows recent conversations first. */
  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
