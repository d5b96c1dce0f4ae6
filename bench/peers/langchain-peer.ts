import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The peer lives in the source tree (bench/peers/langchain), beside the compiled bench that runs it. */
const PEER_DIR = join(__dirname, '..', '..', '..', 'bench', 'peers', 'langchain');

export interface PeerFigures {
  /** Documents ingested, and those that failed (with the error), over the files given. */
  documents: number;
  failed: Array<{ file: string; error: string }>;
  documents_per_second: number;
  pages: number;
  chunks: number;
  seconds: number;
  pages_per_second: number;
  chunks_per_second: number;
  peak_rss_mb: number;
}

/**
 * Installs the LangChain.js pipeline's own dependencies on first use. They stay out of the project's
 * package.json: @langchain/community declares optional peer dependencies that conflict with the project's
 * `openai` major, which npm only accepts with --legacy-peer-deps — a flag the project itself must not need.
 */
async function ensureInstalled(): Promise<void> {
  if (existsSync(join(PEER_DIR, 'node_modules', '@langchain', 'community'))) return;
  console.error('[bench] installing the LangChain.js peer pipeline (bench/peers/langchain)');
  await execFileAsync('npm', ['ci', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: PEER_DIR });
}

/** Runs the peer pipeline over `pdfPaths`, one after another, in a process of its own; returns what it measured. */
export async function runLangchainPeer(options: { pdfPaths: string[]; databaseUrl: string; baseUrl: string; model: string; dimensions: number }): Promise<PeerFigures> {
  await ensureInstalled();
  const args = [
    join(PEER_DIR, 'ingest.mjs'),
    ...options.pdfPaths.flatMap((path) => ['--pdf', path]),
    '--database-url', options.databaseUrl,
    '--base-url', options.baseUrl,
    '--model', options.model,
    '--dimensions', String(options.dimensions),
  ];
  const child = spawn(process.execPath, args, { cwd: PEER_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the LangChain.js peer exited with ${code}: ${output}`);
  return JSON.parse(output.trim().split('\n').pop()!) as PeerFigures;
}
