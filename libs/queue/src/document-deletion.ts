import { Injectable } from '@nestjs/common';
import { CollectionsRepository, DeletedDocument, DocumentRecord, DocumentsRepository } from '@app/database';
import { IngestionProducer } from './ingestion.producer';

/**
 * Deletes a document the way every deletion of one must happen, for the api's DELETE and for the worker's
 * reconciler that carries out a DELETE which failed half-way: its waiting job leaves the queue, its row goes (pages,
 * chunks and a pending version with it, their files marked for the collector), the pending version's waiting job
 * goes too, and its collection's content version moves on so no cached answer quotes it again. A job already
 * running cannot be taken from the queue; the worker sees the row gone and stops. Who is recorded in the audit log
 * for it, and whether its files are removed at once, is the caller's.
 */
@Injectable()
export class DocumentDeletion {
  constructor(
    private readonly producer: IngestionProducer,
    private readonly documents: DocumentsRepository,
    private readonly collections: CollectionsRepository,
  ) {}

  /** Returns the row as it was, or null when it was already gone. */
  async delete(doc: DocumentRecord): Promise<DeletedDocument | null> {
    await this.producer.cancel(doc.id);
    const deleted = await this.documents.delete(doc.tenant, doc.id);
    if (deleted?.pendingVersion) await this.producer.cancel(deleted.pendingVersion.id);
    await this.collections.bumpContentVersion(doc.tenant, doc.collectionId);
    return deleted;
  }
}
