import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GenerationEvent, NO_ANSWER_TEXT } from '../answer-generator';
import { ExtractiveAnswerGenerator } from './extractive-answer-generator';

const source = (n: number, text: string) => ({ n, text, title: `Doc ${n}`, pageStart: n, pageEnd: n });

async function collect(generator: AsyncGenerator<GenerationEvent>): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of generator) events.push(event);
  return events;
}

test('streams one cited sentence per delta, then ends without model tokens', async () => {
  const sources = [
    source(1, 'Badges must be worn at all times inside the building.'),
    source(2, 'Visitors wear visitor badges at all times and are escorted.'),
  ];
  const events = await collect(new ExtractiveAnswerGenerator().generate({ question: 'When must badges be worn at all times?', sources, messages: [] }, new AbortController().signal));
  const deltas = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text);
  assert.deepEqual(deltas, ['Badges must be worn at all times inside the building. [1]', ' Visitors wear visitor badges at all times and are escorted. [2]']);
  assert.deepEqual(events.at(-1), { type: 'end', model: 'extractive', usage: { promptTokens: 0, completionTokens: 0 } });
});

test('says plainly that the documents do not contain the answer, with no citation', async () => {
  const events = await collect(
    new ExtractiveAnswerGenerator().generate({ question: 'Who won the 1954 World Cup?', sources: [source(1, 'Badges must be worn at all times.')], messages: [] }, new AbortController().signal),
  );
  assert.deepEqual(events[0], { type: 'delta', text: NO_ANSWER_TEXT });
  assert.doesNotMatch(NO_ANSWER_TEXT, /\[\d+\]/);
});

test('an aborted signal stops the generation with its reason', async () => {
  const controller = new AbortController();
  controller.abort(new Error('client went away'));
  await assert.rejects(collect(new ExtractiveAnswerGenerator().generate({ question: 'x', sources: [], messages: [] }, controller.signal)), /client went away/);
});
