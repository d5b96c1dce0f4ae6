import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Chunker, normaliseCharacters, splitTextIntoSections, TEXT_CLEANING_VERSION } from '@app/chunking';
import { uploadFile, waitForDocument } from '../support/http';
import { ChunkRow, distinctPageTexts, expectedPdfChunks, storedChunks } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { recentOutput } from '../support/processes';
import { useSystemWithWorkerProcesses } from '../support/test-env';

/** Four short headed parts: one section now, four when every heading started one (text cleaning 3). */
const HANDBOOK = [
  '# Handbook\nWhat every new member of staff should know in the first week.',
  '## Leave\nNew employees receive twenty-seven vacation days per year; unused days expire at the end of March.',
  '## Parking\nParking is free for staff in the north garage; visitors pay at the gate.',
  '## Badges\nBadges are required at all times inside the building and must be worn visibly.',
].join('\n');

/** The chunks a fresh ingestion of a Markdown file gives (the worker's sections, normalised, no page cleaner). */
function expectedTextChunks(text: string, chunkTokens: number, overlapTokens: number): ChunkRow[] {
  const chunker = new Chunker({ chunkTokens, overlapTokens });
  const sections = splitTextIntoSections(text).map((section) => ({ ...section, text: normaliseCharacters(section.text) }));
  return [...sections.flatMap((section) => chunker.push(section)), ...chunker.finish()].map(({ ordinal, text: chunkText, pageStart, pageEnd }) => ({
    ordinal,
    text: chunkText,
    pageStart,
    pageEnd,
  }));
}

describe('an ingestion cut short under an older text cleaning (separate worker processes)', () => {
  const suite = useSystemWithWorkerProcesses();

  test("starts its pages and chunks over: a Markdown file's old sections and a PDF's old pages and chunks are not continued", async () => {
    const { baseUrl } = suite.system;
    const { chunkTokens, overlapTokens } = suite.env.config.chunking;
    // Uploaded while no worker runs, then given what an attempt before the upgrade left.
    const markdown = (await uploadFile(baseUrl, { name: 'handbook.md', content: HANDBOOK })).body.document_id;
    const pdfPath = await writeTextPdf(join(suite.env.config.dataDir, 'notes.pdf'), distinctPageTexts(6, 'upgrade'));
    const pdf = (await uploadFile(baseUrl, { path: pdfPath })).body.document_id;
    const staleChunk = `INSERT INTO chunks (document_id, collection_id, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim)
                        SELECT id, collection_id, 0, 'stale text', 1, 1, 2, array_fill(0.5, ARRAY[$2::int])::vector, $2 FROM documents WHERE id = $1`;
    const dimension = suite.env.config.embedding.dimension;
    // Markdown under cleaning 3: a section at every heading, three of them stored, a chunk of them embedded.
    for (const [i, part] of HANDBOOK.split('\n## ').slice(0, 3).entries()) {
      await suite.owner.query('INSERT INTO document_pages (document_id, page_number, text) VALUES ($1, $2, $3)', [markdown, i + 1, i === 0 ? part : `## ${part}`]);
    }
    await suite.owner.query(staleChunk, [markdown, dimension]);
    await suite.owner.query(`UPDATE documents SET text_cleaning = 3, stage = 'extract', pages_done = 3, chunks_done = 1 WHERE id = $1`, [markdown]);
    // The PDF under cleaning 4: its first pages stored as an older extraction gave them (text extraction changes
    // too: paragraph breaks came in with one), a chunk of them embedded.
    for (const page of [1, 2, 3]) {
      await suite.owner.query('INSERT INTO document_pages (document_id, page_number, text) VALUES ($1, $2, $3)', [pdf, page, `older extraction of page ${page}`]);
    }
    await suite.owner.query(staleChunk, [pdf, dimension]);
    await suite.owner.query(`UPDATE documents SET text_cleaning = 4, stage = 'extract', pages_done = 3, chunks_done = 1 WHERE id = $1`, [pdf]);

    const worker = suite.startWorker();
    for (const id of [markdown, pdf]) {
      const doc = await waitForDocument(baseUrl, id, 60_000);
      assert.equal(doc.status, 'ready', `${JSON.stringify(doc.error)}\n${recentOutput(worker)}`);
    }

    assert.deepEqual(await storedChunks(suite.owner, markdown), expectedTextChunks(HANDBOOK, chunkTokens, overlapTokens));
    assert.deepEqual(await storedChunks(suite.owner, pdf), await expectedPdfChunks(pdfPath, chunkTokens, overlapTokens));
    const { rows } = await suite.owner.query<{ id: string; text_cleaning: number; pages: number; page_count: number }>(
      `SELECT d.id, d.text_cleaning, (SELECT count(*)::int FROM document_pages p WHERE p.document_id = d.id) AS pages, d.pages_total AS page_count
       FROM documents d WHERE d.id = ANY($1::uuid[]) ORDER BY d.id = $2 DESC`,
      [[markdown, pdf], markdown],
    );
    // The Markdown file is one section now: its two stale sections are gone.
    assert.deepEqual(rows.map(({ text_cleaning, pages, page_count }) => [text_cleaning, pages, page_count]), [
      [TEXT_CLEANING_VERSION, 1, 1],
      [TEXT_CLEANING_VERSION, 6, 6],
    ]);
  });
});
