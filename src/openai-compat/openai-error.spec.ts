import { UnknownModelError } from '../ai/ai.errors';
import type { ErrorBody } from '../common/filters/all-exceptions.filter';
import { isOpenAiCompatPath, toOpenAiError } from './openai-error';

const body = (overrides: Partial<ErrorBody>): ErrorBody => ({
  statusCode: 400,
  error: 'Bad Request',
  message: 'bad',
  code: 'BAD_REQUEST',
  ...overrides,
});

describe('isOpenAiCompatPath', () => {
  it.each(['/v1', '/v1/models', '/v1/chat/completions?x=1', '/v1?x'])('takes %s', (url) => {
    expect(isOpenAiCompatPath(url)).toBe(true);
  });

  it.each(['/v10/models', '/users/v1', '/', '/v1x', undefined])('leaves %s', (url) => {
    expect(isOpenAiCompatPath(url)).toBe(false);
  });
});

describe('toOpenAiError', () => {
  it("answers a spent quota with 429 and OpenAI's insufficient_quota type and code", () => {
    expect(toOpenAiError(body({ statusCode: 429, code: 'QUOTA_EXCEEDED', message: 'quota used up' }))).toEqual({
      status: 429,
      body: {
        error: { message: 'quota used up', type: 'insufficient_quota', param: null, code: 'insufficient_quota' },
      },
    });
  });

  it('answers an unknown model with 404 model_not_found on the model field', () => {
    expect(toOpenAiError(body({ code: 'UNKNOWN_MODEL', message: 'model "x" is not available' }))).toEqual({
      status: 404,
      body: {
        error: {
          message: 'model "x" is not available',
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      },
    });
  });

  it("points an unknown model's message to /v1's model list, which an API key can read, not the portal's", () => {
    const message = new UnknownModelError('openai/gpt-5').message;

    expect(toOpenAiError(body({ code: 'UNKNOWN_MODEL', message })).body.error.message).toBe(
      'model "openai/gpt-5" is not available; GET /v1/models lists the ones that are',
    );
  });

  it.each([
    ['UNAUTHORIZED', 401, 'invalid_request_error', 'invalid_api_key'],
    ['INVALID_API_KEY', 401, 'invalid_request_error', 'invalid_api_key'],
    ['FORBIDDEN', 403, 'permission_error', 'forbidden'],
    ['RATE_LIMITED', 429, 'rate_limit_error', 'rate_limit_exceeded'],
    ['UPSTREAM_RATE_LIMITED', 429, 'rate_limit_error', 'rate_limit_exceeded'],
    ['UPSTREAM_ERROR', 502, 'server_error', 'upstream_error'],
    ['UPSTREAM_UNAVAILABLE', 503, 'server_error', 'upstream_unavailable'],
    ['UPSTREAM_TIMEOUT', 504, 'server_error', 'upstream_timeout'],
    ['PAYLOAD_TOO_LARGE', 413, 'invalid_request_error', 'payload_too_large'],
    ['INTERNAL_ERROR', 500, 'server_error', 'internal_error'],
  ] as const)('maps %s (%i) to type %s, code %s', (code, statusCode, type, openAiCode) => {
    const { status, body: answer } = toOpenAiError(body({ code, statusCode }));

    expect(status).toBe(statusCode);
    expect(answer.error).toMatchObject({ type, code: openAiCode, param: null });
  });

  it('joins validation messages and names the first offending field as param', () => {
    const { status, body: answer } = toOpenAiError(
      body({ code: 'VALIDATION_FAILED', message: ['temperature must not be greater than 2', 'n must be 1'] }),
    );

    expect(status).toBe(400);
    expect(answer.error).toEqual({
      message: 'temperature must not be greater than 2; n must be 1',
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'validation_failed',
    });
  });

  it.each([
    ['property tools should not exist', 'tools'],
    ['messages.0.property tool_calls should not exist', 'messages.0.tool_calls'],
    ['messages.1.content may only hold text parts', 'messages.1.content'],
    ['stream_options.include_usage must be a boolean value', 'stream_options.include_usage'],
  ])('reads the field of "%s" as %s', (message, param) => {
    expect(toOpenAiError(body({ code: 'VALIDATION_FAILED', message: [message] })).body.error.param).toBe(param);
  });
});
