import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { LowerCaseId } from '../../common/validators/lower-case-id';

export class ListMessagesQueryDto extends PageQueryDto {
  /** The last message of the path to read (any message of the conversation); default: the current leaf. */
  @IsOptional()
  @LowerCaseId()
  @IsUUID('all')
  leafId?: string;

  /** asc starts at the root; desc starts at the leaf (latest first, older ones on the following pages). */
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'asc';
}
