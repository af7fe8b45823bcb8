import { AppError } from '../common/errors/app.error';

export class InvalidApiKeyError extends AppError {
  readonly code = 'INVALID_API_KEY';
}

export class ApiKeyNotFoundError extends AppError {
  readonly code = 'API_KEY_NOT_FOUND';
  constructor() {
    super('API key not found');
  }
}

export class TooManyApiKeysError extends AppError {
  readonly code = 'TOO_MANY_API_KEYS';
  constructor(max: number) {
    super(`you already have ${max} API keys; revoke one before making another`);
  }
}
