import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bm25Idf, bm25Saturation, DEFAULT_BM25 } from './bm25';
import { anyTermQuery, buildQueryTerms, candidateQuery, estimateThreshold, quoteTsqueryOperand, QueryTerm, ThresholdRounds } from './bm25-candidates';

const COLLECTION = '00000000-0000-0000-0000-000000000001';
const levels = (...counts: number[]) => new Map(counts.map((count, i) => [[1, 2, 4, 8, 16][i], count]));

/** Evaluates the tsquery subset candidateQuery writes (quoted operands, &, |, parentheses) against a chunk's terms. */
function matches(tsquery: string, terms: Set<string>): boolean {
  const tokens = tsquery.match(/'(?:[^']|'')*'|[&|()]/g)!;
  let i = 0;
  const primary = (): boolean => {
    const token = tokens[i++];
    if (token === '(') {
      const value = disjunction();
      i++; // ')'
      return value;
    }
    return terms.has(token.slice(1, -1).replace(/''/g, "'"));
  };
  const conjunction = (): boolean => {
    let value = primary();
    while (tokens[i] === '&') {
      i++;
      value = primary() && value;
    }
    return value;
  };
  const disjunction = (): boolean => {
    let value = conjunction();
    while (tokens[i] === '|') {
      i++;
      value = conjunction() || value;
    }
    return value;
  };
  return disjunction();
}

describe('BM25', () => {
  it("computes Lucene's idf and saturation", () => {
    assert.equal(bm25Idf(100, 10), Math.log(1 + 90.5 / 10.5));
    assert.equal(bm25Saturation(2, 50, 100, DEFAULT_BM25), 2 / (2 + 0.9 * (0.6 + 0.4 * 0.5)));
    assert.ok(bm25Idf(100, 100) > 0, 'a term in every chunk still weighs a little');
  });
});

describe('candidate queries', () => {
  const collection = { chunkCount: 1000, averageLength: 100 };
  const terms = buildQueryTerms(
    [
      { lexeme: 'kale', queryTf: 1, levelChunkCounts: levels(20, 5, 1) },
      { lexeme: 'studi', queryTf: 1, levelChunkCounts: levels(600, 200, 40, 5) },
      { lexeme: "o'neil", queryTf: 2, levelChunkCounts: levels(50) },
      { lexeme: 'absent', queryTf: 1, levelChunkCounts: new Map() },
    ],
    collection,
    DEFAULT_BM25,
  );

  it('weighs terms by query tf and idf, strongest bound first, and skips lexemes the collection lacks', () => {
    assert.deepEqual(terms.map((t) => t.lexeme), ["o'neil", 'kale', 'studi']);
    assert.equal(terms[0].weight, 2 * bm25Idf(1000, 50));
    for (const term of terms) {
      const bounds = term.levels.map((l) => l.bound);
      assert.deepEqual(bounds, [...bounds].sort((a, b) => a - b), 'higher levels can add more');
      assert.ok(bounds.at(-1)! < term.weight, 'no chunk earns more than the full weight');
    }
  });

  it('quotes operands as tsquery expects', () => {
    assert.equal(quoteTsqueryOperand("it's a \\ test"), "'it''s a \\\\ test'");
    assert.equal(anyTermQuery(COLLECTION, terms.slice(1, 2)), `'${COLLECTION} kale'`);
  });

  it('admits every chunk whose level bounds reach the threshold, whatever the operand budget', () => {
    // Every combination of levels a chunk can have for the three terms.
    const options = terms.map((t) => [0, ...t.levels.map((l) => l.level)]);
    const combinations: number[][] = [[]];
    for (const choices of options) combinations.splice(0, combinations.length, ...combinations.flatMap((c) => choices.map((l) => [...c, l])));
    const bound = (chosen: number[]) => chosen.reduce((sum, level, i) => sum + (level ? terms[i].levels.find((l) => l.level === level)!.bound : 0), 0);
    const termsOf = (chosen: number[]) =>
      new Set(chosen.flatMap((level, i) => terms[i].levels.filter((l) => level && l.level <= level).map((l) => (l.level === 1 ? `${COLLECTION} ${terms[i].lexeme}` : `${COLLECTION} ${terms[i].lexeme} ${l.level}`))));
    const total = terms.reduce((sum, t) => sum + t.levels.at(-1)!.bound, 0);
    for (const threshold of [0.1, 0.3, 0.5, 0.7, 0.9].map((f) => f * total)) {
      for (const budget of [1, 3, 8, 1000]) {
        const query = candidateQuery(COLLECTION, terms, threshold, budget);
        for (const chosen of combinations) {
          if (bound(chosen) >= threshold) assert.ok(matches(query, termsOf(chosen)), `threshold ${threshold}, budget ${budget}: ${chosen}`);
        }
        if (budget === 1000) {
          const admitted = combinations.filter((c) => matches(query, termsOf(c)));
          assert.ok(admitted.every((c) => bound(c) >= threshold - 1e-9), 'the exact condition admits nothing more');
        }
      }
    }
  });

  it('estimates a higher threshold for fewer candidates', () => {
    const few = estimateThreshold(terms, collection.chunkCount, 5);
    const many = estimateThreshold(terms, collection.chunkCount, 500);
    assert.ok(few > many && many >= 0);
  });

  it('ends when the k-th score reaches the threshold, or lowers it to the k-th score, or widens', () => {
    const rounds = new ThresholdRounds(terms as QueryTerm[], 1000, 2);
    assert.equal(rounds.next(1.5, [3, 2]), null);
    assert.equal(rounds.next(2.5, [3, 2]), 2);
    assert.equal(rounds.next(2, [3]), 2 * 0.7);
    assert.equal(rounds.next(0, [3]), null, 'threshold 0 admitted every chunk with a term');
    for (let i = 0; i < 5; i++) rounds.next(1, [3]);
    assert.equal(rounds.next(1, [3]), 0, 'gives up pruning after a few widening rounds');
  });
});
