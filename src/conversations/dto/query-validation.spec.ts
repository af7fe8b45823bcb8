import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { AppValidationPipe, createValidationPipe, REMEMBERED_QUERIES } from '../../common/validation.pipe';
import { ListConversationsQueryDto } from './list-conversations-query.dto';
import { ListMessagesQueryDto } from './list-messages-query.dto';

// The pipe is the app's global one (common/); it is tested here on the conversations' own query DTOs.
const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype });
const LIST = query(ListConversationsQueryDto);
const HISTORY = query(ListMessagesQueryDto);

/** What a pipe answers: the DTO as its class and fields, or the 400's body. */
async function outcome(pipe: ValidationPipe, value: unknown, metadata: ArgumentMetadata) {
  try {
    const dto = (await pipe.transform(value, metadata)) as object;
    return { class: dto.constructor.name, fields: { ...dto } };
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    return { status: error.getStatus(), body: error.getResponse() };
  }
}

/** The same options without remembering anything: what every answer must equal. */
const plainPipe = () => {
  const pipe = createValidationPipe();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (pipe as unknown as { exceptionFactory: ValidationPipe['exceptionFactory'] }).exceptionFactory,
  });
};

describe('AppValidationPipe', () => {
  it('answers a query it has accepted before as a new DTO of its class, equal to the first', async () => {
    const pipe = createValidationPipe();
    const first = (await pipe.transform({ limit: '20' }, LIST)) as ListConversationsQueryDto;
    const second = (await pipe.transform({ limit: '20' }, LIST)) as ListConversationsQueryDto;

    expect(second).toBeInstanceOf(ListConversationsQueryDto);
    expect(second).not.toBe(first);
    expect({ ...second }).toEqual({ limit: 20, archived: false });
    // A handler changing its DTO changes nobody else's.
    second.limit = 99;
    const third = (await pipe.transform({ limit: '20' }, LIST)) as ListConversationsQueryDto;
    expect(third.limit).toBe(20);
  });

  it('keeps the DTOs of different classes apart', async () => {
    const pipe = createValidationPipe();
    await pipe.transform({ limit: '5' }, LIST);

    const history = await pipe.transform({ limit: '5' }, HISTORY);
    expect(history).toBeInstanceOf(ListMessagesQueryDto);
    expect({ ...(history as object) }).toEqual({ limit: 5, order: 'asc' });
  });

  it('refuses a bad query every time with the same 400', async () => {
    const pipe = createValidationPipe();
    const first = await outcome(pipe, { limit: '0' }, LIST);
    const again = await outcome(pipe, { limit: '0' }, LIST);

    expect(first).toEqual({
      status: 400,
      body: { message: ['limit must not be less than 1'], code: 'VALIDATION_FAILED' },
    });
    expect(again).toEqual(first);
  });

  it('remembers a bounded number of queries', async () => {
    const pipe = createValidationPipe() as AppValidationPipe;
    for (let i = 0; i < REMEMBERED_QUERIES + 10; i++) await pipe.transform({ cursor: `c${i}` }, LIST);
    const remembered = (pipe as unknown as { accepted: WeakMap<object, Map<string, unknown>> }).accepted;
    expect(remembered.get(ListConversationsQueryDto)!.size).toBeLessThanOrEqual(REMEMBERED_QUERIES);
  });

  it('answers any query as the plain ValidationPipe does, the first time and the next', async () => {
    const text = fc.oneof(
      fc.constantFrom('', '0', '1', '20', '100', '101', '-1', '1.5', '2e1', ' 20', 'true', 'false', 'asc', 'desc'),
      fc.constantFrom('0b1', '0x14', '020', 'TRUE', 'x'.repeat(513), '7b0d6c0e-4a6f-4e0b-9a55-8a1b0f8f3b1a'),
      fc.string({ maxLength: 8 }),
    );
    const value = fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 2 }));
    const keys = fc.constantFrom('limit', 'cursor', 'archived', 'q', 'leafId', 'order', 'other');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(keys, value, { maxKeys: 3 }), fc.boolean(), async (raw, history) => {
        const metadata = history ? HISTORY : LIST;
        const pipe = createValidationPipe();
        const expected = await outcome(plainPipe(), structuredClone(raw), metadata);
        expect(await outcome(pipe, structuredClone(raw), metadata)).toEqual(expected);
        expect(await outcome(pipe, structuredClone(raw), metadata)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
