import { ApiProperty } from '@nestjs/swagger';
import type { ConversationTree } from '../messages.service';
import { MESSAGE_STATUSES } from './message-response.dto';

export class TreeNodeResponseDto {
  id: string;
  /** null for a first message. */
  parentId: string | null;
  @ApiProperty({ enum: ['user', 'assistant'] })
  role: 'user' | 'assistant';
  @ApiProperty({ enum: MESSAGE_STATUSES })
  status: 'streaming' | 'complete' | 'incomplete' | 'error';
  createdAt: string;
  /** The first 100 characters of the text. */
  preview: string;
}

export class ConversationTreeResponseDto {
  /** The last message of the branch being looked at; null when the conversation has no messages. */
  currentLeafId: string | null;
  /** Every message, oldest first: each one's parent comes before it. */
  items: TreeNodeResponseDto[];

  static from(tree: ConversationTree): ConversationTreeResponseDto {
    return {
      currentLeafId: tree.currentLeafId,
      items: tree.items.map((node) => ({
        id: node.id,
        parentId: node.parentId,
        role: node.role,
        status: node.status,
        createdAt: node.createdAt.toISOString(),
        preview: node.preview,
      })),
    };
  }
}
