// Fingerprints the text the extractor gives each page of every PDF in a directory, so that a change meant only
// to make extraction cheaper can be shown to leave the text byte for byte as it was: run it before and after,
// and compare the two outputs (`cmp`, or `diff` to see which pages moved). Pages are extracted as the worker
// does (PageExtractor, one process, windows of 16 pages); each line is `file<TAB>page<TAB>characters<TAB>sha256`
// (the first 16 hex digits), and a last line per file hashes all of its pages.
//   npm run bench:extract-hashes -- [--dir ../shared/datasets/pdfs] [--out hashes.tsv]
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PageExtractor } from '@app/pdf';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '../shared/datasets/pdfs' },
    out: { type: 'string' },
  },
});

const WINDOW_PAGES = 16;

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

async function main(): Promise<void> {
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const files = (await readdir(values.dir!)).filter((name) => name.endsWith('.pdf')).sort();
  for (const name of files) {
    const extractor = await PageExtractor.open({ path: join(values.dir!, name), format: 'pdf' }, { processes: 1, heapLimitMb: 96, pageTimeoutMs: 60_000 }, WINDOW_PAGES);
    const whole = createHash('sha256');
    try {
      for await (const window of extractor.windows(0, WINDOW_PAGES)) {
        for (const page of window) {
          const pageDigest = digest(page.text);
          whole.update(pageDigest);
          out.write(`${name}\t${page.pageNumber}\t${page.text.length}\t${pageDigest}\n`);
        }
      }
    } finally {
      await extractor.close();
    }
    out.write(`${name}\tall\t${extractor.pageCount}\t${whole.digest('hex').slice(0, 16)}\n`);
  }
  if (out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
