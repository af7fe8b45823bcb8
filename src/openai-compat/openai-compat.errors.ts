import { AppError } from '../common/errors/app.error';

/**
 * A well-formed request field that cannot be honoured here: the chosen provider does not take it, or the rest of
 * the request contradicts it. The message starts with the field's name, which OpenAI's error shape reports as
 * `param`.
 */
export class UnsupportedParameterError extends AppError {
  readonly code = 'UNSUPPORTED_PARAMETER';
  constructor(
    readonly param: string,
    reason: string,
  ) {
    super(`${param} ${reason}`);
  }
}
