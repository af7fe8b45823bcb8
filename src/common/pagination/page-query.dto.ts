import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ToInteger } from '../validators/to-integer';

export class PageQueryDto {
  /** How many items to return (1 to 100). */
  // A default makes the Swagger plugin call the parameter required; it may be left out.
  @ApiProperty({ required: false })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  /** The `nextCursor` of the previous page; anything else is 400 `INVALID_CURSOR`. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
