import { ArgumentMetadata, BadRequestException, Injectable, ParseUUIDPipe } from '@nestjs/common';

/**
 * ParseUUIDPipe for path ids, refusing as the ValidationPipe does (400 VALIDATION_FAILED, one message naming the
 * parameter) and answering the id in lower case, as ids are stored: SQLite compares text as it is, so an id
 * written in capitals would otherwise find nothing there and its row on PostgreSQL.
 */
@Injectable()
export class ParseUuidParamPipe extends ParseUUIDPipe {
  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    const id = await super.transform(value, metadata).catch(() => null);
    if (typeof id === 'string') return id.toLowerCase();
    throw new BadRequestException({ message: [`${metadata.data ?? 'id'} must be a UUID`], code: 'VALIDATION_FAILED' });
  }
}
