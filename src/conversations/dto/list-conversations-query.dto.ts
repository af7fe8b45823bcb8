import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';

export class ListConversationsQueryDto extends PageQueryDto {
  /** true lists the archived conversations instead. */
  // A default makes the Swagger plugin call the parameter required; it may be left out.
  @ApiProperty({ required: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  archived: boolean = false;

  /**
   * Finds conversations whose title or messages contain this text (case-insensitive). Empty, as a cleared search
   * box sends it, it lists them all.
   */
  @Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value))
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
