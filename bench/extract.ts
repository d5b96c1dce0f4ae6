// Times PDF text extraction alone on one file, no chunking, embedding or database: Groundwork's PageExtractor
// (extraction processes, windows of pages, as the worker drives it; --heap-mb defaults to the worker's
// PDF_EXTRACT_HEAP_MB default, 96) against bare pdfjs-dist over the same file (the whole file in memory,
// `getTextContent()` page after page, one process), and prints JSON: seconds, pages/s and peak RSS of each, and
// their ratio. Where the extractor's time goes is found by comparing the two.
//   npm run bench:extract -- --file real.pdf [--processes 1] [--heap-mb 96] [--window-pages 16]
//                            [--pdfjs-flags="--max-old-space-size=96 --max-semi-space-size=4"] [--only extractor|pdfjs]
// peak_rss_mb: the extractor's processes (this process excluded, it only receives text), sampled every 50 ms;
// for pdfjs, the high-water mark (VmHWM) of the process that ran it. cpu_seconds: CPU time (user + system) of
// the extraction processes, live and exited, for the extractor (receiving_cpu_seconds: this process, the
// worker's side of it); of the whole process for pdfjs. CPU time, unlike seconds, hardly depends on what else
// the machine is running.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PageExtractor } from '@app/pdf';
import { childPids } from '../test/support/processes';
import { sampleProcessTreeRss } from './process-tree-memory';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    processes: { type: 'string', default: '1' },
    'heap-mb': { type: 'string', default: '96' },
    'window-pages': { type: 'string', default: '16' },
    'pdfjs-flags': { type: 'string', default: '--max-old-space-size=96 --max-semi-space-size=4' },
    only: { type: 'string' },
    // Internal: this script re-runs itself in a child process to time bare pdfjs with its own heap flags.
    'bare-pdfjs-child': { type: 'boolean', default: false },
  },
});

interface Figures {
  pages: number;
  characters: number;
  seconds: number;
  pages_per_second: number;
  peak_rss_mb: number;
  cpu_seconds: number;
  receiving_cpu_seconds?: number;
}

/** Bare pdfjs-dist as the issue measured it: the whole file in memory, every page's text content in turn. */
async function bareTextContent(path: string): Promise<Figures> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const started = performance.now();
  const data = new Uint8Array(await readFile(path));
  const loadingTask = pdfjs.getDocument({ data, disableAutoFetch: true, disableStream: true, verbosity: 0 });
  const document = await loadingTask.promise;
  let characters = 0;
  for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) {
    const page = await document.getPage(pageNumber);
    const content = await page.getTextContent();
    for (const item of content.items) if ('str' in item) characters += item.str.length;
    page.cleanup();
  }
  const seconds = (performance.now() - started) / 1000;
  const pages = document.numPages;
  await loadingTask.destroy();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))!;
  const cpu = process.cpuUsage();
  return {
    pages,
    characters,
    seconds: round(seconds, 2),
    pages_per_second: round(pages / seconds, 1),
    peak_rss_mb: round(Number(hwm[1]) / 1024, 1),
    cpu_seconds: round((cpu.user + cpu.system) / 1e6, 2),
  };
}

async function runBarePdfjs(path: string): Promise<Figures> {
  const flags = values['pdfjs-flags']!.split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...flags, __filename, '--bare-pdfjs-child', '--file', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bare pdfjs exited with ${code}`);
  return JSON.parse(output) as Figures;
}

async function runExtractor(path: string): Promise<Figures> {
  const windowPages = Number(values['window-pages']);
  const ownRss = sampleProcessTreeRss(process.pid);
  const childrenCpuAtStart = childrenCpuSeconds();
  const ownCpuAtStart = process.cpuUsage();
  const started = performance.now();
  const extractor = await PageExtractor.open(
    { path, format: 'pdf' },
    { processes: Number(values.processes), heapLimitMb: Number(values['heap-mb']), pageTimeoutMs: 60_000 },
    windowPages,
  );
  let pages = 0;
  let characters = 0;
  try {
    for await (const window of extractor.windows(0, windowPages)) {
      pages += window.length;
      for (const page of window) characters += page.text.length;
    }
  } finally {
    await extractor.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const ownCpu = process.cpuUsage(ownCpuAtStart);
  const childrenCpu = childrenCpuSeconds() - childrenCpuAtStart;
  const treePeak = ownRss.stop();
  const ownPeak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
  // The tree's peak includes this process; its own high-water mark is subtracted (an upper bound on its share).
  const peak = Math.max(0, treePeak - ownPeak);
  return {
    pages,
    characters,
    seconds: round(seconds, 2),
    pages_per_second: round(pages / seconds, 1),
    peak_rss_mb: round(peak / 1024 / 1024, 1),
    cpu_seconds: round(childrenCpu, 2),
    receiving_cpu_seconds: round((ownCpu.user + ownCpu.system) / 1e6, 2),
  };
}

/**
 * CPU seconds of this process's children: the exited ones (cutime + cstime of /proc/self/stat: Node waits for
 * its children) and the live ones (an idle extraction process kept for the next document).
 */
function childrenCpuSeconds(): number {
  const ticks = (pid: number | 'self', first: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces: count fields after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[first]) + Number(fields[first + 1]);
    } catch {
      return 0; // exited meanwhile: counted as reaped once Node has waited for it
    }
  };
  // Fields 14–15 (utime, stime) and 16–17 (cutime, cstime), 0-based 11 and 13 after the command name; USER_HZ is 100.
  const live = childPids(process.pid).reduce((sum, pid) => sum + ticks(pid, 11), 0);
  return (ticks('self', 13) + live) / 100;
}

async function main(): Promise<void> {
  const path = values.file;
  if (!path) throw new Error('--file PATH is required');
  if (values['bare-pdfjs-child']) {
    process.stdout.write(JSON.stringify(await bareTextContent(path)));
    return;
  }
  const extractor = values.only === 'pdfjs' ? null : await runExtractor(path);
  const pdfjs = values.only === 'extractor' ? null : await runBarePdfjs(path);
  console.log(JSON.stringify({
    file: path,
    extractor_settings: { processes: Number(values.processes), heap_mb: Number(values['heap-mb']), window_pages: Number(values['window-pages']) },
    pdfjs_flags: values['pdfjs-flags'],
    extractor,
    pdfjs,
    ratio:
      extractor && pdfjs
        ? {
            pages_per_second: round(extractor.pages_per_second / pdfjs.pages_per_second, 2),
            peak_rss: round(extractor.peak_rss_mb / pdfjs.peak_rss_mb, 2),
            cpu_seconds: round(extractor.cpu_seconds / pdfjs.cpu_seconds, 2),
          }
        : null,
  }, null, 2));
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
