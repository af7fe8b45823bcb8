import { QueryFailedError } from 'typeorm';
import { toErrorBody } from './all-exceptions.filter';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('toErrorBody', () => {
  it('answers a client that left before its body arrived 400, and a database connection reset 503', () => {
    expect(toErrorBody(withCode('aborted', 'ECONNRESET')).body).toMatchObject({ statusCode: 400 });

    const reset = new QueryFailedError('SELECT 1', [], withCode('read ECONNRESET', 'ECONNRESET'));
    expect(toErrorBody(reset)).toEqual({
      body: {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the server cannot reach its database; try again shortly',
        code: 'SERVICE_UNAVAILABLE',
      },
      retryAfter: 5,
    });
  });

  it('answers any other error 500 without its detail', () => {
    expect(toErrorBody(new TypeError('x is undefined')).body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      code: 'INTERNAL_ERROR',
    });
  });
});
