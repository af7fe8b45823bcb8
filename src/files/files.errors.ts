import { AppError } from '../common/errors/app.error';

export class FileNotFoundError extends AppError {
  readonly code = 'FILE_NOT_FOUND';
  constructor() {
    super('file not found');
  }
}

/** Not a multipart body with one part named `file`. */
export class InvalidUploadError extends AppError {
  readonly code = 'INVALID_UPLOAD';
}

export class UnsupportedFileTypeError extends AppError {
  readonly code = 'UNSUPPORTED_FILE_TYPE';
}

export class FileTooLargeError extends AppError {
  readonly code = 'FILE_TOO_LARGE';
  constructor(maxBytes: number) {
    super(`the file is larger than the ${maxBytes} bytes an upload may have`);
  }
}

export class FileQuotaExceededError extends AppError {
  readonly code = 'FILE_QUOTA_EXCEEDED';
  constructor(quotaBytes: number, usedBytes: number) {
    super(
      `the file does not fit your storage: ${usedBytes} of your ${quotaBytes} bytes are in use; delete files to make room`,
    );
  }
}

/** A file given as an attachment whose text is still being read, or could not be. */
export class FileNotReadyError extends AppError {
  readonly code = 'FILE_NOT_READY';
  constructor(id: string, status: string) {
    super(
      status === 'processing'
        ? `file ${id} is still being processed; attach it once its status is "ready"`
        : `file ${id} could not be processed (status "${status}") and cannot be attached`,
    );
  }
}
