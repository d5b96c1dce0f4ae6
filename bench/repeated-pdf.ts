import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Writes `source` repeated with qpdf until it has `pages` pages, to `path`: a long real document for benchmarks
 * (bench:ingest --source, bench:chunk-writes --pages). Its chunks repeat, which the figures must say.
 */
export async function writeRepeatedPdf(source: string, pages: number, path: string): Promise<void> {
  const { stdout } = await run('qpdf', ['--show-npages', source]);
  const copies = Math.ceil(pages / Number(stdout.trim()));
  const whole = `${path}.all.pdf`;
  try {
    await run('qpdf', ['--empty', '--pages', ...Array.from({ length: copies }, () => source), '--', whole]);
    await run('qpdf', [whole, '--pages', whole, `1-${pages}`, '--', path]);
  } finally {
    await rm(whole, { force: true });
  }
}
