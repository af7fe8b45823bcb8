import { IsUUID } from 'class-validator';

export class SetCurrentLeafDto {
  /** A message of this conversation; the current leaf becomes the newest message under it (itself included). */
  @IsUUID('all')
  messageId: string;
}
