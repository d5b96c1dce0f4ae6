import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { ADVERSARIAL_SHAPES, adversarialText, assertLinearTime } from './linear-time';
import { parsePrometheusText, PrometheusTextError } from './prometheus-text';

test('parses families, types, help, escaped labels, special values and timestamps', () => {
  const families = parsePrometheusText(
    [
      '# HELP jobs_total Jobs done.\\nPer queue.',
      '# TYPE jobs_total counter',
      'jobs_total{queue="a\\"b",path="C:\\\\x",note="two\\nlines",} 3 1700000000000',
      'jobs_total{queue="c"} 1.5e3',
      '# a plain comment',
      '',
      '# TYPE temperature gauge',
      'temperature -Inf',
      'temperature{room="x"} NaN',
      'temperature{room="y"} Nan',
      'untyped_thing 7',
    ].join('\n'),
  );
  const jobs = families.get('jobs_total')!;
  assert.equal(jobs.type, 'counter');
  assert.equal(jobs.help, 'Jobs done.\nPer queue.');
  assert.deepEqual(jobs.samples[0], {
    name: 'jobs_total',
    labels: { queue: 'a"b', path: 'C:\\x', note: 'two\nlines' },
    value: 3,
    timestampMs: 1_700_000_000_000,
  });
  assert.equal(jobs.samples[1].value, 1500);
  assert.equal(families.get('temperature')!.samples[0].value, Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(families.get('temperature')!.samples[1].value));
  assert.ok(Number.isNaN(families.get('temperature')!.samples[2].value), "prom-client's spelling");
  assert.equal(families.get('untyped_thing')!.type, 'untyped');
});

test('histogram parts belong to their family and are checked', () => {
  const ok = parsePrometheusText(
    ['# TYPE d histogram', 'd_bucket{m="GET",le="0.1"} 1', 'd_bucket{m="GET",le="+Inf"} 2', 'd_sum{m="GET"} 0.3', 'd_count{m="GET"} 2'].join('\n'),
  );
  assert.deepEqual([...ok.keys()], ['d']);
  assert.equal(ok.get('d')!.samples.length, 4);

  assert.throws(() => parsePrometheusText(['# TYPE d histogram', 'd_bucket{le="0.1"} 3', 'd_bucket{le="+Inf"} 2', 'd_count 2'].join('\n')), /not cumulative/);
  assert.throws(() => parsePrometheusText(['# TYPE d histogram', 'd_bucket{le="+Inf"} 2', 'd_count 3'].join('\n')), /differs from _count/);
  assert.throws(() => parsePrometheusText(['# TYPE d histogram', 'd_bucket{le="1"} 2', 'd_count 2'].join('\n')), /no \+Inf bucket/);
});

test('rejects what Prometheus would reject', () => {
  const bad = [
    'no-dashes 1',
    'm{l="unterminated} 1',
    'm{l="x" 1',
    'm{1l="x"} 1',
    'm{l="\\q"} 1',
    'm{l="a",l="b"} 1',
    'm one',
    'm 1 2 3',
    'm{l="x"}1',
    'm 1\nm 2',
    'm 1\n# TYPE m counter',
    '# TYPE m counter\n# TYPE m gauge',
    '# TYPE m widget',
  ];
  for (const text of bad) assert.throws(() => parsePrometheusText(text), PrometheusTextError, text);
});

test('reads prom-client output, labelled histograms included', async () => {
  const registry = new Registry();
  const hist = new Histogram({ name: 'req_seconds', help: 'h', labelNames: ['route', 'status'], buckets: [0.1, 1], registers: [registry] });
  const counter = new Counter({ name: 'events_total', help: 'c "quoted" \\ help', labelNames: ['kind'], registers: [registry] });
  hist.observe({ route: '/v1/documents/:id', status: '200' }, 0.05);
  hist.observe({ route: '/v1/documents/:id', status: '200' }, 5);
  hist.observe({ route: '/metrics', status: '200' }, 0.5);
  counter.inc({ kind: 'with "quotes" and \\ and\nnewline' }, 2);
  const families = parsePrometheusText(await registry.metrics());
  const counts = families.get('req_seconds')!.samples.filter((s) => s.name === 'req_seconds_count');
  assert.deepEqual(counts.map((s) => [s.labels.route, s.value]).sort(), [['/metrics', 1], ['/v1/documents/:id', 2]]);
  assert.deepEqual(families.get('events_total')!.samples[0].labels, { kind: 'with "quotes" and \\ and\nnewline' });
});

/** The HELP text a `# HELP m <text>` line declares: leading whitespace dropped, `\\n` and `\\\\` unescaped. */
function referenceHelp(text: string): string {
  let help = '';
  const rest = text.trimStart();
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '\\' && (rest[i + 1] === 'n' || rest[i + 1] === '\\')) {
      help += rest[i + 1] === 'n' ? '\n' : '\\';
      i++;
    } else {
      help += rest[i];
    }
  }
  return help;
}

/** One line: the parser splits at '\n', and `.` stops at the other line terminators. */
const oneLine = (text: string) => text.replace(/[\n\r\u2028\u2029]/g, ' ');

test('HELP text is read whole, whatever it holds, on adversarial text', () => {
  fc.assert(
    fc.property(adversarialText(300).map(oneLine), (text) => {
      assert.equal(parsePrometheusText(`# HELP m ${text}`).get('m')?.help, referenceHelp(text));
    }),
    { numRuns: 300 },
  );
});

test('a HELP line is read in linear time', () => {
  const helpLine = (make: (chars: number) => string) => (chars: number) => `# HELP m ${oneLine(make(chars))}`;
  const shapes = ADVERSARIAL_SHAPES.map(({ name, make }) => ({ name, make: helpLine(make) }));
  assertLinearTime(parsePrometheusText, shapes);
});
