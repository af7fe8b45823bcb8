import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { Conversation } from '../conversations/entities/conversation.entity';
import { Message } from '../conversations/entities/message.entity';
import { User } from '../users/user.entity';

export const ENTITIES = [User, RefreshToken, Conversation, Message];
