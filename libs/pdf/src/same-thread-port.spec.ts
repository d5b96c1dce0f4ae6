import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyMessage, SameThreadPort } from './same-thread-port';

const received = (port: SameThreadPort) =>
  new Promise<unknown>((resolve) => port.addEventListener('message', (event) => resolve(event.data)));

describe('SameThreadPort (pdfjs messages without structuredClone)', () => {
  it('delivers what was posted, as it was when posted, even when the sender empties it right after', async () => {
    const port = new SameThreadPort();
    const arrived = received(port);
    // pdfjs's text-content batch: posted, then its items and styles replaced at once.
    const batch: { items: Array<{ str: string; transform: number[] }>; styles: Record<string, unknown>; lang: null } = {
      items: [{ str: 'Alpha', transform: [1, 0, 0, 1, 72, 700] }],
      styles: Object.assign(Object.create(null) as Record<string, unknown>, { g_d0_f1: { fontFamily: 'serif' } }),
      lang: null,
    };
    port.postMessage({ stream: 4, chunk: batch });
    batch.items[0].transform[4] = 0;
    batch.items = [];
    batch.styles = Object.create(null) as Record<string, unknown>;
    const data = (await arrived) as { chunk: typeof batch };
    assert.deepEqual(data, structuredClone({ stream: 4, chunk: { items: [{ str: 'Alpha', transform: [1, 0, 0, 1, 72, 700] }], styles: { g_d0_f1: { fontFamily: 'serif' } }, lang: null } }));
    assert.equal(Object.getPrototypeOf(data.chunk.styles), Object.prototype, 'as structuredClone gives it');
  });

  it('copies typed arrays unless they were transferred, and clones errors as structuredClone does', () => {
    const kept = new Uint8Array([1, 2, 3]);
    const given = new Uint8Array([4, 5]);
    const copy = copyMessage({ kept, given }, new Set([given.buffer])) as { kept: Uint8Array; given: Uint8Array };
    assert.notEqual(copy.kept, kept);
    assert.deepEqual(copy.kept, kept);
    assert.equal(copy.given, given);
    class PdfProblem extends Error {
      override name = 'InvalidPDFException';
    }
    const error = new PdfProblem('bad xref');
    assert.deepEqual(copyMessage({ reason: error }, new Set()), structuredClone({ reason: error }));
    assert.throws(() => copyMessage({ callback: () => undefined }, new Set()), /could not be cloned/);
  });

  it('shares what a message transfers and copies what it does not, members of arrays and objects alike', async () => {
    const port = new SameThreadPort();
    const given = new Uint8Array([1, 2]);
    const kept = new Uint8Array([3]);
    let arrived = received(port);
    port.postMessage({ chunk: given, also: [kept, 'text', 7, null] }, [given.buffer]);
    let data = (await arrived) as { chunk: Uint8Array; also: [Uint8Array, string, number, null] };
    assert.equal(data.chunk, given);
    assert.notEqual(data.also[0], kept);
    assert.deepEqual(data.also, [kept, 'text', 7, null]);
    // Without a transfer list nothing is shared.
    arrived = received(port);
    port.postMessage({ chunk: given });
    data = (await arrived) as typeof data;
    assert.notEqual(data.chunk, given);
    assert.deepEqual(data.chunk, given);
  });

  it('stops delivering to a listener whose signal aborted', async () => {
    const port = new SameThreadPort();
    const controller = new AbortController();
    const seen: unknown[] = [];
    port.addEventListener('message', (event) => seen.push(event.data), { signal: controller.signal });
    port.postMessage(1);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    port.postMessage(2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [1]);
  });
});
