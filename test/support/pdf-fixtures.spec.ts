import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import {
  escapePdfString,
  FIXTURE_USER_PASSWORD,
  toWinAnsi,
  writeEncryptedPdf,
  writeNoTextPdf,
  writeTextPdf,
  writeTruncatedPdf,
} from './pdf-fixtures';

const execFileAsync = promisify(execFile);

/** Runs qpdf and returns its exit code and output instead of throwing on a non-zero exit. */
async function qpdf(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('qpdf', args);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdf-fixtures-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a text PDF passes qpdf --check and has one page per entry', async () => {
  const path = await writeTextPdf(join(dir, 'text.pdf'), ['First page.\nSecond line.', 'Second page.', 'Third page.']);
  const check = await qpdf('--check', path);
  assert.equal(check.code, 0, check.output);
  assert.match(check.output, /No syntax or stream encoding errors/);
  assert.equal((await qpdf('--show-npages', path)).output.trim(), '3');
});

test('pages may be given as line arrays; long lines wrap and overfull pages still pass qpdf --check', async () => {
  const longLine = 'word '.repeat(400);
  const lines = (count: number) => Array.from({ length: count }, (_, i) => `line ${i + 1}`);
  const path = await writeTextPdf(join(dir, 'lines.pdf'), [['one', longLine], lines(100), lines(200), []]);
  assert.equal((await qpdf('--check', path)).code, 0);
  assert.equal((await qpdf('--show-npages', path)).output.trim(), '4');
  const raw = await readFile(path, 'latin1');
  // The long line wraps at the text width: many shown strings, none longer than a line of "word"s.
  assert.ok(raw.split('(word word').length > 10);
  // 100 lines do not fit at 12 pt, so the page shrinks its font (to 5 pt) and keeps every line.
  assert.match(raw, /\/F1 5 Tf/);
  assert.match(raw, /\(line 100\) Tj/);
  // 200 lines do not fit even at the 4 pt minimum: the page keeps as many as fit (135) and drops the rest.
  assert.match(raw, /\/F1 4 Tf/);
  assert.match(raw, /\(line 135\) Tj/);
  assert.doesNotMatch(raw, /\(line 136\) Tj/);
});

test('parentheses and backslashes are escaped, non-WinAnsi characters become ?', async () => {
  const path = await writeTextPdf(join(dir, 'escape.pdf'), ['a (b) c\\d café ☃ “quoted”']);
  assert.equal((await qpdf('--check', path)).code, 0);
  const raw = await readFile(path, 'latin1');
  assert.ok(raw.includes('(a \\(b\\) c\\\\d caf\\351 ? \\223quoted\\224) Tj'), raw);
});

test('toWinAnsi and escapePdfString', () => {
  assert.equal(toWinAnsi('tab\there €5 ✓'), 'tab here \x805 ?');
  assert.equal(toWinAnsi('😀'), '?');
  assert.equal(escapePdfString('(x)\\'), '\\(x\\)\\\\');
  assert.equal(escapePdfString('\xe9'), '\\351');
});

test('an encrypted PDF requires the user password and reports AES-256 encryption', async () => {
  const path = await writeEncryptedPdf(join(dir, 'locked.pdf'), ['Secret one.', 'Secret two.']);
  assert.equal((await qpdf('--requires-password', path)).code, 0, 'qpdf exits 0 when a password is required');
  const shown = await qpdf(`--password=${FIXTURE_USER_PASSWORD}`, '--show-encryption', path);
  assert.equal(shown.code, 0, shown.output);
  assert.match(shown.output, /R = 6/);
  assert.match(shown.output, /AESv3/);
  assert.equal((await qpdf(`--password=${FIXTURE_USER_PASSWORD}`, '--check', path)).code, 0);
  assert.deepEqual(await plainCopies(), []);
});

test('a truncated PDF keeps the first 40 % of a valid one and fails qpdf --check', async () => {
  const pages = ['Page one text.', 'Page two text.'];
  const whole = await stat(await writeTextPdf(join(dir, 'whole.pdf'), pages));
  const path = await writeTruncatedPdf(join(dir, 'cut.pdf'), pages);
  assert.equal((await stat(path)).size, Math.floor(whole.size * 0.4));
  assert.ok((await readFile(path, 'latin1')).startsWith('%PDF-1.4\n'));
  assert.notEqual((await qpdf('--check', path)).code, 0);
  await rm(join(dir, 'whole.pdf'));
  assert.deepEqual(await plainCopies(), []);
});

test('a no-text PDF has its pages and draws only a rectangle', async () => {
  const path = await writeNoTextPdf(join(dir, 'blank.pdf'), 4);
  assert.equal((await qpdf('--check', path)).code, 0);
  assert.equal((await qpdf('--show-npages', path)).output.trim(), '4');
  const raw = await readFile(path, 'latin1');
  assert.ok(!raw.includes('BT'), 'no text objects');
  assert.match(raw, / re S/);
});

test('a 3,500-page PDF is valid', async () => {
  const pages = Array.from({ length: 3500 }, (_, i) => `Page ${i + 1} says hello.\nA second line on page ${i + 1}.`);
  const path = await writeTextPdf(join(dir, 'big.pdf'), pages);
  const check = await qpdf('--check', path);
  assert.equal(check.code, 0, check.output.slice(0, 500));
  assert.equal((await qpdf('--show-npages', path)).output.trim(), '3500');
});

/** Temporary plain copies left behind by the encrypted/truncated writers (there must be none). */
async function plainCopies(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.plain.'));
}
