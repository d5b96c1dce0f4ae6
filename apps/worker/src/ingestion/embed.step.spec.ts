import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chunk } from '@app/chunking';
import { NewChunk } from '@app/database';
import { EmbeddingProvider } from '@app/embeddings';
import { EmbedStep } from './embed.step';

const chunk = (ordinal: number): Chunk => ({ ordinal, text: `chunk ${ordinal}`, pageStart: ordinal + 1, pageEnd: ordinal + 1, tokenCount: 2 });

/** Embeds after a delay chosen per batch (by its first text), so batches can finish out of order. */
function delayedProvider(delayFor: (firstText: string) => number, fail?: (firstText: string) => Error | undefined): EmbeddingProvider & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    name: 'test',
    model: 'm',
    dimension: 1,
    calls,
    embed: async (texts, options) => {
      calls.push(texts);
      await new Promise((resolve) => setTimeout(resolve, delayFor(texts[0])));
      options?.signal?.throwIfAborted();
      const error = fail?.(texts[0]);
      if (error) throw error;
      return texts.map(() => Float32Array.of(1));
    },
  };
}

function recordingSink() {
  const written: number[] = [];
  const checkpoints: number[] = [];
  return {
    written,
    checkpoints,
    write: async (chunks: NewChunk[]) => {
      written.push(...chunks.map((c) => c.ordinal));
    },
    progress: async (chunksDone: number) => {
      checkpoints.push(chunksDone);
    },
  };
}

describe('EmbedStep', () => {
  it('checkpoints only over the unbroken run of written batches, whatever order they finish in', async () => {
    // The first batch is the slowest: later batches finish first, but the checkpoint waits for it.
    const provider = delayedProvider((first) => (first === 'chunk 0' ? 60 : 5));
    const sink = recordingSink();
    const step = new EmbedStep(provider, sink, { batchSize: 2, concurrency: 3, firstMissingOrdinal: 0, signal: new AbortController().signal, tenant: 't' });
    await step.accept([0, 1, 2, 3, 4, 5].map(chunk));
    assert.equal(await step.finish(), 6);
    assert.deepEqual([...sink.written].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(sink.checkpoints, [6]);
  });

  it('derives but does not re-embed the ordinals below the checkpoint', async () => {
    const provider = delayedProvider(() => 0);
    const sink = recordingSink();
    const step = new EmbedStep(provider, sink, { batchSize: 10, concurrency: 1, firstMissingOrdinal: 3, signal: new AbortController().signal, tenant: 't' });
    await step.accept([0, 1, 2, 3, 4].map(chunk));
    assert.equal(await step.finish(), 5);
    assert.deepEqual(provider.calls, [['chunk 3', 'chunk 4']]);
  });

  it('never has more than `concurrency` batches in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const provider: EmbeddingProvider = {
      name: 'test',
      model: 'm',
      dimension: 1,
      embed: async (texts) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return texts.map(() => Float32Array.of(1));
      },
    };
    const step = new EmbedStep(provider, recordingSink(), { batchSize: 1, concurrency: 2, firstMissingOrdinal: 0, signal: new AbortController().signal, tenant: 't' });
    await step.accept(Array.from({ length: 10 }, (_, i) => chunk(i)));
    await step.finish();
    assert.equal(most, 2);
  });

  it('a failed batch fails the step once, and nothing past it is checkpointed', async () => {
    const failure = new Error('provider gave up');
    const provider = delayedProvider(() => 5, (first) => (first === 'chunk 2' ? failure : undefined));
    const sink = recordingSink();
    const step = new EmbedStep(provider, sink, { batchSize: 2, concurrency: 2, firstMissingOrdinal: 0, signal: new AbortController().signal, tenant: 't' });
    await assert.rejects(
      (async () => {
        await step.accept([0, 1, 2, 3, 4, 5, 6, 7].map(chunk));
        await step.finish();
      })(),
      failure,
    );
    await step.settle();
    assert.ok(sink.checkpoints.every((done) => done <= 2));
  });
});
