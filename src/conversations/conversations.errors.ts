import { AppError } from '../common/errors/app.error';

export class ConversationNotFoundError extends AppError {
  readonly code = 'CONVERSATION_NOT_FOUND';
  constructor() {
    super('conversation not found');
  }
}
