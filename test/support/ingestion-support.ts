import { writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { Pool } from 'pg';
import { Chunker, PageCleaner } from '@app/chunking';
import { openPdf } from '@app/pdf';
import { JsonBody, requestJson } from './http';

/**
 * Page texts that differ from page to page (distinct words, not only numbers), so every chunk has its own
 * text and its own embedding: a cache or a dedupe can then only hit what it should.
 */
export function distinctPageTexts(count: number, salt = ''): string[] {
  const words = ['amber', 'basalt', 'cobalt', 'dolomite', 'emerald', 'feldspar', 'garnet', 'hematite', 'jasper', 'kyanite'];
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    const lines = Array.from(
      { length: 14 },
      (_, line) =>
        `Section ${n}.${line}${salt} records the ${words[(n + line) % words.length]} survey near marker ${n * 7919 + line} ` +
        `and the ${words[(n * 3 + line) % words.length]} sample taken on day ${(n * 13 + line) % 365}.`,
    );
    return lines.join('\n');
  });
}

export interface ChunkRow {
  ordinal: number;
  text: string;
  pageStart: number;
  pageEnd: number;
}

/** The chunks a clean ingestion of the PDF at `path` produces: the same extraction and chunking, in-process. */
export async function expectedPdfChunks(path: string, chunkTokens: number, overlapTokens: number): Promise<ChunkRow[]> {
  const pdf = await openPdf(path);
  const chunker = new Chunker({ chunkTokens, overlapTokens }, new PageCleaner());
  const chunks: ChunkRow[] = [];
  const keep = (batch: ReturnType<Chunker['finish']>) => chunks.push(...batch.map(({ ordinal, text, pageStart, pageEnd }) => ({ ordinal, text, pageStart, pageEnd })));
  try {
    for (let pageNumber = 1; pageNumber <= pdf.pageCount; pageNumber++) keep(chunker.push({ pageNumber, text: await pdf.readPageText(pageNumber) }));
    keep(chunker.finish());
  } finally {
    await pdf.close();
  }
  return chunks;
}

/** A document's stored chunks, in ordinal order. */
export async function storedChunks(pool: Pool, documentId: string): Promise<ChunkRow[]> {
  const { rows } = await pool.query<{ ordinal: number; text: string; page_start: number; page_end: number }>(
    'SELECT ordinal, text, page_start, page_end FROM chunks WHERE document_id = $1 ORDER BY ordinal',
    [documentId],
  );
  return rows.map((row) => ({ ordinal: row.ordinal, text: row.text, pageStart: row.page_start, pageEnd: row.page_end }));
}

/** Rows left for a document in each table that holds its content. */
export async function contentRowCounts(pool: Pool, documentId: string): Promise<{ documents: number; pages: number; chunks: number }> {
  const { rows } = await pool.query<{ documents: number; pages: number; chunks: number }>(
    `SELECT (SELECT count(*)::int FROM documents WHERE id = $1) AS documents,
            (SELECT count(*)::int FROM document_pages WHERE document_id = $1) AS pages,
            (SELECT count(*)::int FROM chunks WHERE document_id = $1) AS chunks`,
    [documentId],
  );
  return rows[0];
}

/** Polls the document until `done(document)` holds; fails after `timeoutMs` with the last state seen. */
export async function waitForDocumentState(baseUrl: string, id: string, done: (doc: JsonBody) => boolean, timeoutMs = 60_000): Promise<JsonBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await requestJson(baseUrl, `/v1/documents/${id}`);
    if (status === 200 && done(body)) return body;
    if (Date.now() > deadline) throw new Error(`document ${id} did not reach the expected state in ${timeoutMs} ms: ${status} ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A one-page PDF whose Flate-compressed content stream inflates to `prefix`, `repeat` copies of `body`, then
 * `suffix`. A few hundred kilobytes of file become tens of megabytes once a reader decodes the page — the
 * shape of a decompression bomb.
 */
export async function writeFlateBombPdf(path: string, content: { prefix: string; body: string; repeat: number; suffix: string }): Promise<string> {
  const stream = deflateSync(Buffer.from(content.prefix + content.body.repeat(content.repeat) + content.suffix, 'latin1'), { level: 9 });
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let offset = parts[0].length;
  const push = (buffer: Buffer) => {
    parts.push(buffer);
    offset += buffer.length;
  };
  objects.forEach((body, i) => {
    offsets.push(offset);
    push(Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`));
  });
  offsets.push(offset);
  push(Buffer.from(`5 0 obj\n<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`));
  push(stream);
  push(Buffer.from('\nendstream\nendobj\n'));
  const xref = offset;
  push(Buffer.from(`xref\n0 6\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`));
  push(Buffer.from(`trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`));
  await writeFile(path, Buffer.concat(parts));
  return path;
}
