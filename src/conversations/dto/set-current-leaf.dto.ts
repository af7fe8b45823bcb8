import { IsUUID } from 'class-validator';
import { LowerCaseId } from '../../common/validators/lower-case-id';

export class SetCurrentLeafDto {
  /** A message of this conversation; the current leaf becomes the newest message under it (itself included). */
  @LowerCaseId()
  @IsUUID('all')
  messageId: string;
}
