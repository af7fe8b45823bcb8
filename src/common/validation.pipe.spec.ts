import { ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsObject, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { createValidationPipe } from './validation.pipe';

class PartDto {
  @IsString()
  @MaxLength(5)
  text: string;
}

class BodyDto {
  @IsString()
  @MaxLength(10)
  name: string;

  @IsInt()
  @Min(1)
  @Max(100)
  count: number;

  @IsArray()
  @IsObject({ each: true, message: 'parts must be an array of objects' })
  @ValidateNested({ each: true })
  @Type(() => PartDto)
  parts: PartDto[];
}

const BODY: ArgumentMetadata = { type: 'body', metatype: BodyDto };

/** The messages of the 400 the global pipe answers for `value`. */
async function messagesFor(value: object): Promise<string[]> {
  try {
    await createValidationPipe().transform(value, BODY);
  } catch (error) {
    if (error instanceof BadRequestException) return (error.getResponse() as { message: string[] }).message;
    throw error;
  }
  throw new Error('the pipe accepted the body');
}

describe('The validation messages', () => {
  const valid = { name: 'Ada', count: 3, parts: [{ text: 'hi' }] };

  it('names, for each field, the first rule it breaks as the DTO lists them: the type before the bounds', async () => {
    expect(await messagesFor({ ...valid, name: 5, count: 'many' })).toEqual([
      'name must be a string',
      'count must be an integer number',
    ]);
    expect(await messagesFor({ ...valid, name: 'a'.repeat(11), count: 0 })).toEqual([
      'name must be shorter than or equal to 10 characters',
      'count must not be less than 1',
    ]);
  });

  it('says once that an array holds something other than objects', async () => {
    expect(await messagesFor({ ...valid, parts: [5] })).toEqual(['parts must be an array of objects']);
    expect(await messagesFor({ ...valid, parts: [null, 'x'] })).toEqual(['parts must be an array of objects']);
  });

  it('names a field inside an array item by its path', async () => {
    expect(await messagesFor({ ...valid, parts: [{ text: 'fine' }, { text: 7 }] })).toEqual([
      'parts.1.text must be a string',
    ]);
  });
});
