import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { User } from '../users/user.entity';

export const ENTITIES = [User, RefreshToken];
