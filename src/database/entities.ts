import { ApiKey } from '../api-keys/api-key.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { Conversation } from '../conversations/entities/conversation.entity';
import { Message } from '../conversations/entities/message.entity';
import { UsageRecord } from '../usage/usage-record.entity';
import { User } from '../users/user.entity';

export const ENTITIES = [User, RefreshToken, Conversation, Message, ApiKey, UsageRecord];
