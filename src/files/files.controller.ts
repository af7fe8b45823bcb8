import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  PayloadTooLargeException,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { contentDisposition } from './content-disposition';
import { FileResponseDto, FilesPageResponseDto } from './dto/file-response.dto';
import { InvalidUploadError } from './files.errors';
import { FilesService } from './files.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

const NOT_FOUND = 'Not found, or not yours (FILE_NOT_FOUND)';
/**
 * The bytes are served as data, never as a page of this origin: no sniffing, a download unless it is an image,
 * and a sandbox with nothing allowed should a browser render it anyway.
 */
const CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'";

@ApiTags('files')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @ApiOperation({
    summary: 'Upload a file',
    description:
      'A `multipart/form-data` body with one part named `file`. The type comes from the bytes, not the name or ' +
      "the part's Content-Type: images (PNG, JPEG, GIF, WebP) and documents (UTF-8 text: plain, Markdown, CSV, " +
      'JSON, source code; PDF; DOCX). Text the name calls HTML or SVG is stored as plain text. Images and text ' +
      'documents are `ready` at once; a PDF or DOCX is `processing` until its text has been read in the ' +
      'background (poll GET /files/{id}), then `ready` or `failed` with the reason in `error`.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary', description: 'The file; its name is kept for display' } },
    },
  })
  @ApiResponse({ status: 201, type: FileResponseDto })
  @ApiError(
    400,
    'Not a multipart body with a part named `file` (INVALID_UPLOAD), or a type that is not accepted or an empty ' +
      'file (UNSUPPORTED_FILE_TYPE)',
  )
  @ApiError(
    413,
    'Larger than FILE_MAX_BYTES (FILE_TOO_LARGE, whatever is left of your quota), more than is left of your FILE_QUOTA_BYTES (FILE_QUOTA_EXCEEDED), ' +
      'or more parts or fields than one upload has (PAYLOAD_TOO_LARGE)',
  )
  async upload(@CurrentUser() principal: AuthUser, @Req() request: FastifyRequest): Promise<FileResponseDto> {
    if (!request.isMultipart())
      throw new InvalidUploadError('send the file as multipart/form-data, in a part named "file"');
    const part = await request.file().catch((error: Error & { statusCode?: number }) => {
      // The parser refuses what it cannot read (no boundary, a part named `__proto__`), or more parts or fields
      // than an upload has (its limits answer 413): the client's fault, as the reading errors of FilesService.
      if (error.statusCode === 413)
        throw new PayloadTooLargeException(`the multipart body has too much: ${error.message}`);
      throw new InvalidUploadError(`the multipart body could not be read: ${error.message}`);
    });
    if (!part || part.fieldname !== 'file') {
      part?.file.resume();
      throw new InvalidUploadError('the multipart body needs a file part named "file"');
    }
    return FileResponseDto.from(await this.files.upload(principal, { filename: part.filename, stream: part.file }));
  }

  @Get()
  @ApiOperation({ summary: 'Your files, newest first' })
  @ApiErrors(400)
  async list(@CurrentUser() principal: AuthUser, @Query() query: PageQueryDto): Promise<FilesPageResponseDto> {
    const page = await this.files.list(principal, query.limit, query.cursor);
    return { items: page.items.map(FileResponseDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your files' })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  async get(@CurrentUser() principal: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<FileResponseDto> {
    return FileResponseDto.from(await this.files.get(principal, id));
  }

  @Get(':id/content')
  @ApiOperation({
    summary: "A file's bytes",
    description:
      'With the stored type (text as UTF-8), `X-Content-Type-Options: nosniff`, `Content-Security-Policy: ' +
      'sandbox`, and `Content-Disposition: attachment` (`inline` for images) naming the file.',
  })
  @ApiProduces('application/octet-stream')
  @ApiResponse({ status: 200, description: 'The bytes', schema: { type: 'string', format: 'binary' } })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  async content(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const { file, stream } = await this.files.content(principal, id);
    const text = file.mimeType.startsWith('text/') || file.mimeType === 'application/json';
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    return new StreamableFile(stream, {
      type: text ? `${file.mimeType}; charset=utf-8` : file.mimeType,
      disposition: contentDisposition(file.kind === 'image' ? 'inline' : 'attachment', file.name),
      length: file.size,
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a file and its bytes',
    description:
      'Messages it was attached to stay; their `attachments` no longer list it, and later turns of their ' +
      'conversations no longer send it to the model.',
  })
  @ApiErrors(400)
  @ApiError(404, NOT_FOUND)
  async remove(@CurrentUser() principal: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<void> {
    await this.files.remove(principal, id);
  }
}
