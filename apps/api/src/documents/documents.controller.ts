import { Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { Request, Response } from 'express';
import { DocumentDto, DocumentListDto, ListDocumentsQueryDto, toDocumentDto } from './dto/document.dto';
import { BulkUploadDto, ReplaceDocumentDto, UploadAcceptedDto, UploadDocumentDto, UploadQueryDto } from './dto/upload-document.dto';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { DocumentsService } from './documents.service';

@ApiTags('documents')
@RequireRole('member')
@Controller('v1/documents')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  @Post()
  @ApiOperation({
    summary: 'Upload one or more documents for ingestion',
    description:
      'Streams each `file` part to storage as it arrives and queues its ingestion; answers once the body is read. ' +
      'One file: 202 with the document, or that file\'s error: 413 payload_too_large over MAX_UPLOAD_BYTES, 415 unsupported_media_type ' +
      'when the content is neither PDF nor text (UTF-8, UTF-16 with its byte-order mark, Windows-1252), or when the file name or declared content type says PDF but the bytes are not one, ' +
      '400 empty_file, 429 quota_exceeded. Several files (up to MAX_FILES_PER_UPLOAD), or `?bulk=true`: 207 with one result per file ' +
      'in the order sent (`http_status` 202 and the document, or the status and error the file would have had alone); a refused file ' +
      'does not refuse the others. Errors of the whole request (nothing is kept): 413 too_many_files, 408 upload_timeout when no byte ' +
      'arrives for UPLOAD_IDLE_TIMEOUT_MS, 400 validation_failed / invalid_metadata (the fields apply to every file; `title` only with one file), ' +
      '507 insufficient_storage when the server\'s disk or database is full (Retry-After: 60), 503 storage_unavailable when the object ' +
      'store (BLOB_STORE=s3) is unreachable or failing (Retry-After: 5).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadDocumentDto })
  @ApiAcceptedResponse({ type: UploadAcceptedDto, description: 'One file: its document, queued. `Location` names it.' })
  @ApiResponse({ status: 207, type: BulkUploadDto, description: 'Several files, or `?bulk=true`: one result per file.' })
  @ApiResponse({ status: 507, description: '`insufficient_storage`: no room left to keep the upload; nothing of it is kept. Retry after `Retry-After` seconds.' })
  @ApiPayloadTooLargeResponse({ description: '`too_many_files` (more than MAX_FILES_PER_UPLOAD `file` parts), or `payload_too_large` for a single file.' })
  @ApiUnsupportedMediaTypeResponse({ description: '`unsupported_media_type`: the request is not multipart/form-data, or its one file is neither PDF nor text.' })
  @ApiConflictResponse({ description: '`collection_deleting` (with `details.job_id`): the collection named is being deleted.' })
  @ApiTooManyRequestsResponse({
    description:
      '`quota_exceeded`: the upload would take the tenant past MAX_DOCUMENTS_PER_TENANT or MAX_BYTES_PER_TENANT. ' +
      '`details`: `quota` (`documents` or `bytes`), `limit`, `used`, and for bytes `upload_bytes` (the file\'s size). ' +
      'Deleting documents frees room. (`rate_limited` is the per-key request limit.) In a bulk upload, per file.',
  })
  async upload(@Req() req: Request, @Res() res: Response, @Query() query: UploadQueryDto, @CurrentPrincipal() principal: Principal): Promise<void> {
    const outcome = await this.documents.upload(req, principal, query.bulk === 'true');
    // The response is written here because its status depends on the outcome (a fixed @HttpCode would override it).
    if (outcome.bulk) {
      res.status(207).json(outcome.result);
      return;
    }
    res.setHeader('Location', `/v1/documents/${outcome.accepted.document_id}`);
    res.status(202).json(outcome.accepted);
  }

  @Put(':id')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Replace a document with a new version of its file',
    description:
      'Streams the new file and queues its ingestion as the document\'s pending version (`replacement` on GET); the document keeps ' +
      'answering searches with its current version meanwhile. When the new version is ready the two swap in one transaction: same ' +
      'document id, `version` one more, `replaced_at` set, the old pages, chunks and file gone. A new version that fails leaves the ' +
      'current one in place, its error under `replacement.error`. A newer PUT supersedes a pending version. Fields (each defaults to ' +
      'the document\'s): title, metadata, chunk_tokens, chunk_overlap. 404 not_found (also another tenant\'s document); 409 document_busy ' +
      'while the document itself is queued or processing, collection_deleting while its collection is being deleted; file errors as for a single upload (413, 415, 400 empty_file); 429 quota_exceeded ' +
      '(bytes: both versions are stored until the swap); 507 insufficient_storage when the disk or database is full.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: ReplaceDocumentDto })
  @ApiAcceptedResponse({ type: UploadAcceptedDto, description: 'The document\'s id and the new version\'s job.' })
  @ApiNotFoundResponse({ description: '`not_found`' })
  @ApiConflictResponse({
    description: '`document_busy`: the document is queued or processing; `collection_deleting` (with `details.job_id`): its collection is being deleted.',
  })
  @ApiPayloadTooLargeResponse({ description: '`payload_too_large` over MAX_UPLOAD_BYTES; `too_many_files` for more than one `file` part.' })
  @ApiUnsupportedMediaTypeResponse({ description: '`unsupported_media_type`: neither PDF nor text in UTF-8, UTF-16 or Windows-1252 (decided by content).' })
  @ApiTooManyRequestsResponse({ description: '`quota_exceeded` (bytes): both versions are stored until the swap.' })
  @ApiResponse({ status: 507, description: '`insufficient_storage`: no room left to keep the new version; the document is unchanged.' })
  async replace(@Param('id') id: string, @Req() req: Request, @CurrentPrincipal() principal: Principal): Promise<UploadAcceptedDto> {
    return this.documents.replace(id, req, principal);
  }

  @Get()
  @ApiOperation({ summary: 'List documents, newest first, with cursor pagination' })
  @ApiOkResponse({ type: DocumentListDto })
  async list(@Query() query: ListDocumentsQueryDto, @CurrentPrincipal() principal: Principal): Promise<DocumentListDto> {
    const { data, nextCursor } = await this.documents.list(query, principal);
    const pending = await this.documents.pendingVersions(data);
    return { data: data.map((doc) => toDocumentDto(doc, pending.get(doc.id))), next_cursor: nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A document with its ingestion status and progress' })
  @ApiOkResponse({ type: DocumentDto })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<DocumentDto> {
    const doc = await this.documents.get(id, principal);
    return toDocumentDto(doc, (await this.documents.pendingVersions([doc])).get(doc.id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a document', description: 'Cancels its ingestion if running (and a new version\'s) and removes its pages, chunks and file.' })
  @ApiNoContentResponse()
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.documents.delete(id, principal);
  }
}
