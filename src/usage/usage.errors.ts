import { AppError } from '../common/errors/app.error';

export class InvalidDateRangeError extends AppError {
  readonly code = 'INVALID_DATE_RANGE';
}
