import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@app/errors';
import { assertLinearTime } from '../../../test/support/linear-time';
import { hashedFeatureVector, LocalHashingEmbedder } from './local-hashing-embedder';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

function norm(v: Float32Array): number {
  return Math.sqrt(cosine(v, v));
}

describe('LocalHashingEmbedder', () => {
  const embedder = new LocalHashingEmbedder();

  it('describes itself', () => {
    assert.equal(embedder.name, 'local');
    assert.equal(embedder.model, 'local-hash-v2');
    assert.equal(embedder.dimension, 1024);
    assert.equal(new LocalHashingEmbedder(64).dimension, 64);
  });

  it('is deterministic across calls and instances', async () => {
    const text = 'Vitamin D supplementation and bone density in older adults.';
    const [a] = await embedder.embed([text]);
    const [b] = await new LocalHashingEmbedder().embed([text]);
    assert.deepEqual(a, b);
  });

  it('returns L2-normalised vectors of the configured dimension, in input order', async () => {
    const texts = ['first text about cats', 'second text about dogs', 'Ünïcödé wörds and 日本語 too'];
    const vectors = await embedder.embed(texts);
    assert.equal(vectors.length, 3);
    for (const v of vectors) {
      assert.equal(v.length, 1024);
      assert.ok(Math.abs(norm(v) - 1) < 1e-5);
    }
    assert.deepEqual(vectors[1], (await embedder.embed([texts[1]]))[0]);
  });

  it('puts similar texts closer than unrelated ones', async () => {
    const [query, related, unrelated] = await embedder.embed([
      'Does green tea lower the risk of breast cancer?',
      'Green tea consumption and breast cancer risk: a meta-analysis of cohort studies.',
      'The stock market rallied after the central bank kept interest rates unchanged.',
    ]);
    assert.ok(cosine(query, related) > cosine(query, unrelated) + 0.1);
  });

  it('stems English words, so inflections of one word share their word feature', async () => {
    const [studies, study, garden] = await embedder.embed(['studies', 'study', 'garden']);
    assert.ok(cosine(studies, study) > 0.5);
    assert.ok(cosine(studies, study) > cosine(studies, garden) + 0.3);
  });

  it('matches morphological variants through character trigrams', async () => {
    const [a, b, c] = await embedder.embed(['tumours', 'tumour', 'garden']);
    assert.ok(cosine(a, b) > cosine(a, c));
  });

  it('ignores case and stop words, but embeds text made only of stop words', async () => {
    const [a, b] = await embedder.embed(['The effect of the Diet', 'effect diet']);
    assert.ok(cosine(a, b) > 0.999);
    const [onlyStopWords] = await embedder.embed(['to be or not to be']);
    assert.ok(Math.abs(norm(onlyStopWords) - 1) < 1e-5);
  });

  it('gives text without words the zero vector', async () => {
    for (const v of await embedder.embed(['', '   ', '?!… —'])) {
      assert.equal(v.length, 1024);
      assert.equal(norm(v), 0);
    }
  });

  it('embeds a batch of chunk-sized texts, one normalised vector each', async () => {
    const sentence = 'Patients receiving the intervention showed a 12% reduction in systolic blood pressure after 8 weeks. ';
    const texts = Array.from({ length: 1000 }, (_, i) => `Chunk ${i}. ${sentence.repeat(20)}`);
    const vectors = await embedder.embed(texts);
    assert.equal(vectors.length, 1000);
    assert.ok(vectors.every((v) => Math.abs(norm(v) - 1) < 1e-5));
  });

  describe('embedQuery (question words weighted, e.g. by idf)', () => {
    it('asks for the weights of the distinct content words, and weighs an unlisted word 1', async () => {
      const asked: string[][] = [];
      const question = 'What is the effect of turmeric, and of the turmeric dose?';
      const weighted = await embedder.embedQuery(question, async (words) => {
        asked.push(words);
        return new Map();
      });
      assert.deepEqual(asked, [['effect', 'turmeric', 'dose']]);
      assert.deepEqual(weighted, (await embedder.embed([question]))[0]);
    });

    it('scales each word: weight 0 removes the word, its n-grams and its bigrams', async () => {
      const weighted = await embedder.embedQuery('turmeric effect', async () => new Map([['effect', 0]]));
      assert.ok(cosine(weighted, (await embedder.embed(['turmeric']))[0]) > 0.99999);
    });

    it('turns the vector towards the heavier word', async () => {
      const [turmeric, effect] = await embedder.embed(['turmeric', 'effect']);
      const even = await embedder.embedQuery('turmeric effect', async () => new Map());
      const rare = await embedder.embedQuery('turmeric effect', async () => new Map([['turmeric', 3], ['effect', 0.5]]));
      assert.ok(cosine(rare, turmeric) > cosine(even, turmeric));
      assert.ok(cosine(rare, effect) < cosine(even, effect));
    });
  });

  it('embeds in time linear in the text, whatever it holds (one huge word, runs of one character, mixtures)', () => {
    assertLinearTime((text) => hashedFeatureVector(text, 1024));
  });

  it('rejects a bad dimension and honours an aborted signal', async () => {
    assert.throws(() => new LocalHashingEmbedder(0), (error: unknown) => error instanceof AppError && error.code === 'validation_failed');
    await assert.rejects(embedder.embed(['x'], { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});
