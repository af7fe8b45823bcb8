import { Transform } from 'class-transformer';

const lower = (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

/**
 * An id (or a list of ids) in lower case, as ids are stored: SQLite compares text as it is, so an id written in
 * capitals would find nothing there and its row on PostgreSQL. Path ids get the same from ParseUuidParamPipe.
 */
export const LowerCaseId = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map(lower) : lower(value)));
