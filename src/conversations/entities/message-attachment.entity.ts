import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A file attached to a (user) message, at its place among the message's attachments. */
@Entity('message_attachments')
export class MessageAttachment {
  @PrimaryColumn({ name: 'message_id', type: 'varchar', length: 36 })
  messageId: string;

  @PrimaryColumn({ type: 'integer' })
  position: number;

  @Column({ name: 'file_id', type: 'varchar', length: 36 })
  fileId: string;
}
