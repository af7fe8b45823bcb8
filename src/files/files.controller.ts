import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { contentDisposition } from './content-disposition';
import { FileResponseDto, FilesPageResponseDto } from './dto/file-response.dto';
import { FilesService } from './files.service';
import { readUpload } from './multipart-upload';
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
      'A `multipart/form-data` body with one part named `file` and nothing else. The type comes from the bytes, ' +
      "not the name or the part's Content-Type: images (PNG, JPEG, GIF, WebP) and documents (UTF-8 text: plain, " +
      'Markdown, CSV, JSON, source code; PDF; DOCX). Text the name calls HTML or SVG is stored as plain text. Images and text ' +
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
    'Not a multipart body with a part named `file`, or one with another field or part, named in the message ' +
      '(INVALID_UPLOAD), or a type that is not accepted or an empty file (UNSUPPORTED_FILE_TYPE)',
  )
  @ApiError(
    413,
    'Larger than FILE_MAX_BYTES (FILE_TOO_LARGE, whatever is left of your quota), more than is left of your FILE_QUOTA_BYTES (FILE_QUOTA_EXCEEDED), ' +
      'or a second file or more fields than one upload has (PAYLOAD_TOO_LARGE); nothing of a refused upload is kept',
  )
  async upload(@CurrentUser() principal: AuthUser, @Req() request: FastifyRequest): Promise<FileResponseDto> {
    return FileResponseDto.from(await this.files.upload(principal, await readUpload(request)));
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
