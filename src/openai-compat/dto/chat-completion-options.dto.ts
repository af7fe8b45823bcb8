import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { AsSent } from '../../common/validators/as-sent';

/** OpenAI's rule for function names, which Anthropic's matches. */
export const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const FUNCTION_NAME_MESSAGE = 'name must be 1 to 64 letters, digits, underscores or dashes';

export class FunctionDefinitionDto {
  /** @example "get_weather" */
  @IsString()
  @Matches(FUNCTION_NAME, { message: FUNCTION_NAME_MESSAGE })
  name: string;

  /** @example "The current weather in a city" */
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  /** A JSON Schema of the arguments object; none means no arguments. */
  @ApiProperty({ required: false, type: Object, additionalProperties: true })
  @AsSent()
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;

  /** Hold the arguments to the schema exactly; refused (400) by providers that cannot. */
  @IsOptional()
  @IsBoolean()
  strict?: boolean;
}

export class ChatCompletionToolDto {
  @ApiProperty({ enum: ['function'] })
  @IsIn(['function'])
  type: 'function';

  @IsObject()
  @ValidateNested()
  @Type(() => FunctionDefinitionDto)
  function: FunctionDefinitionDto;
}

export class JsonSchemaFormatDto {
  /** @example "answer" */
  @IsString()
  @Matches(FUNCTION_NAME, { message: FUNCTION_NAME_MESSAGE })
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiProperty({ required: false, type: Object, additionalProperties: true })
  @AsSent()
  @IsOptional()
  @IsObject()
  schema?: Record<string, unknown>;

  @IsOptional()
  @IsBoolean()
  strict?: boolean;
}

export class ResponseFormatDto {
  /** `text` is the default and changes nothing. */
  @ApiProperty({ enum: ['text', 'json_object', 'json_schema'] })
  @IsIn(['text', 'json_object', 'json_schema'])
  type: 'text' | 'json_object' | 'json_schema';

  /** Required with `json_schema`. */
  @ValidateIf((format: ResponseFormatDto) => format.type === 'json_schema' || format.json_schema !== undefined)
  @IsObject({ message: 'json_schema is required when type is "json_schema"' })
  @ValidateNested()
  @Type(() => JsonSchemaFormatDto)
  json_schema?: JsonSchemaFormatDto;
}
