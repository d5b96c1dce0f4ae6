import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { patchSourceOnLoad, replaceEachOnce, SourcePatch, sourcePatchOutcome } from './source-patch';

test('each original is replaced where it is, whatever the order the pairs are given in', () => {
  assert.equal(replaceEachOnce('one two three', [['three', '3'], ['one', '1']]), '1 two 3');
  assert.equal(replaceEachOnce('a$b', [['$', '$&$$']]), 'a$&$$b');
  assert.equal(replaceEachOnce('abc', []), 'abc');
});

test('nothing is replaced unless every original occurs exactly once, apart from the others', () => {
  assert.equal(replaceEachOnce('one two', [['one', '1'], ['three', '3']]), undefined);
  assert.equal(replaceEachOnce('one one', [['one', '1']]), undefined);
  assert.equal(replaceEachOnce('abcd', [['abc', 'x'], ['cd', 'y']]), undefined);
});

test('a module loads with every patch that recognises its source, in one pass, and each other patch warns', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'source-patch-'));
  try {
    const file = join(dir, 'patched.mjs');
    await writeFile(file, "export const greeting = 'hello';\nexport const target = 'world';\n");
    const greeting: SourcePatch = { replacements: () => [["'hello'", "'hi'"]], warning: { code: 'TEST_GREETING', message: (outcome) => `greeting ${outcome}` } };
    const target: SourcePatch = { replacements: () => [["'there'", "'here'"]], warning: { code: 'TEST_TARGET', message: (outcome) => `target ${outcome}` } };
    const declined: SourcePatch = { replacements: () => undefined, warning: { code: 'TEST_DECLINED', message: (outcome) => `declined ${outcome}` } };
    const world: SourcePatch = { replacements: () => [["'world'", "'everyone'"]], warning: { code: 'TEST_WORLD', message: (outcome) => `world ${outcome}` } };
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => warnings.push(`${warning.code}: ${warning.message}`);
    process.on('warning', onWarning);
    const url = pathToFileURL(file).href;
    patchSourceOnLoad(url, [greeting, target, declined, world]);
    patchSourceOnLoad(url, [declined]); // a second registration for the URL does nothing
    const loaded = (await import(url)) as { greeting: string; target: string };
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    process.off('warning', onWarning);
    assert.deepEqual({ ...loaded }, { greeting: 'hi', target: 'everyone' });
    assert.deepEqual([greeting, target, declined, world].map(sourcePatchOutcome), ['applied', 'source not recognised', 'source not recognised', 'applied']);
    assert.deepEqual(warnings.sort(), ['TEST_DECLINED: declined source not recognised', 'TEST_TARGET: target source not recognised']);
    assert.equal(await readFile(file, 'utf8'), "export const greeting = 'hello';\nexport const target = 'world';\n", 'the file on disk is untouched');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
