import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { DocumentDto, DocumentListDto, ListDocumentsQueryDto, toDocumentDto } from './dto/document.dto';
import { UploadAcceptedDto, UploadDocumentDto } from './dto/upload-document.dto';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { DocumentsService } from './documents.service';

@ApiTags('documents')
@RequireRole('member')
@Controller('v1/documents')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Upload a document for ingestion',
    description:
      'Streams the file to storage and queues its ingestion; answers at once. 413 payload_too_large over MAX_UPLOAD_BYTES, ' +
      '415 unsupported_media_type when the content is neither PDF nor UTF-8 text, or when the file name or declared content type ' +
      'says PDF but the bytes are not one; 408 upload_timeout when no byte arrives for UPLOAD_IDLE_TIMEOUT_MS; ' +
      '400 empty_file / validation_failed / invalid_metadata.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadDocumentDto })
  @ApiAcceptedResponse({ type: UploadAcceptedDto })
  @ApiTooManyRequestsResponse({
    description:
      '`quota_exceeded`: the upload would take the tenant past MAX_DOCUMENTS_PER_TENANT or MAX_BYTES_PER_TENANT. ' +
      '`details`: `quota` (`documents` or `bytes`), `limit`, `used`, and for bytes `upload_bytes` (the file\'s size). ' +
      'Deleting documents frees room. (`rate_limited` is the per-key request limit.)',
  })
  async upload(@Req() req: Request, @Res({ passthrough: true }) res: Response, @CurrentPrincipal() principal: Principal): Promise<UploadAcceptedDto> {
    const accepted = await this.documents.upload(req, principal);
    res.setHeader('Location', `/v1/documents/${accepted.document_id}`);
    return accepted;
  }

  @Get()
  @ApiOperation({ summary: 'List documents, newest first, with cursor pagination' })
  @ApiOkResponse({ type: DocumentListDto })
  async list(@Query() query: ListDocumentsQueryDto, @CurrentPrincipal() principal: Principal): Promise<DocumentListDto> {
    const { data, nextCursor } = await this.documents.list(query, principal);
    return { data: data.map(toDocumentDto), next_cursor: nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A document with its ingestion status and progress' })
  @ApiOkResponse({ type: DocumentDto })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<DocumentDto> {
    return toDocumentDto(await this.documents.get(id, principal));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a document', description: 'Cancels its ingestion if running and removes its pages, chunks and file.' })
  @ApiNoContentResponse()
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.documents.delete(id, principal);
  }
}
