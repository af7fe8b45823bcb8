import { AppError } from '../common/errors/app.error';

export class ConversationNotFoundError extends AppError {
  readonly code = 'CONVERSATION_NOT_FOUND';
  constructor() {
    super('conversation not found');
  }
}

/** Also for a message of another conversation: ids never reach across conversations. */
export class MessageNotFoundError extends AppError {
  readonly code = 'MESSAGE_NOT_FOUND';
  constructor() {
    super('message not found in this conversation');
  }
}

export class GenerationInProgressError extends AppError {
  readonly code = 'GENERATION_IN_PROGRESS';
  constructor(message = 'an answer is being generated in this conversation; wait for it to end') {
    super(message);
  }
}

/** A question follows an answer: sending under a user message would put two questions in a row. */
export class ParentNotAnswerError extends AppError {
  readonly code = 'PARENT_NOT_ASSISTANT';
  constructor() {
    super('parentId must be an assistant message (or null for a new first message)');
  }
}

/** Regenerating needs a question: a user message, or an answer whose parent is one. */
export class NotAQuestionError extends AppError {
  readonly code = 'NOT_A_QUESTION';
  constructor() {
    super('only a user message, or an answer to one, can be answered again');
  }
}

/** Also for another user's generation, and for one that ended longer ago than the server keeps them. */
export class GenerationNotFoundError extends AppError {
  readonly code = 'GENERATION_NOT_FOUND';
  constructor() {
    super('generation not found in this conversation (it may have ended more than 5 minutes ago)');
  }
}

export class GenerationEndedError extends AppError {
  readonly code = 'GENERATION_ENDED';
  constructor() {
    super('this generation has already ended');
  }
}

export class InvalidEventIdError extends AppError {
  readonly code = 'INVALID_EVENT_ID';
  constructor() {
    super('Last-Event-ID must be the decimal id of an event of this generation (0 or more)');
  }
}
