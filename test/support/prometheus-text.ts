/**
 * A strict parser for the Prometheus text exposition format (version 0.0.4), so tests check what a
 * Prometheus server would accept rather than matching lines with regular expressions. It reads HELP and TYPE
 * lines and samples (escaped label values, NaN/±Inf, optional timestamps), assigns `_bucket`/`_sum`/`_count`
 * samples to their histogram or summary, and rejects what Prometheus would reject or what would make the
 * numbers meaningless: malformed lines, a TYPE after its samples or declared twice, duplicate series, and
 * histograms whose buckets are not cumulative or whose `+Inf` bucket differs from `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name, e.g. `http_request_duration_seconds_count`. */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

export class PrometheusTextError extends Error {
  constructor(lineNumber: number, problem: string, line: string) {
    super(`line ${lineNumber}: ${problem}: ${JSON.stringify(line.slice(0, 200))}`);
    this.name = 'PrometheusTextError';
  }
}

const METRIC_NAME = /^[a-z_:][\w:]*$/i;
const LABEL_NAME = /^[a-z_]\w*$/i;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES: Record<MetricType, string[]> = {
  counter: [],
  gauge: [],
  untyped: [],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/** Parses a whole exposition into its metric families, keyed by family name. Throws PrometheusTextError. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const seenSeries = new Set<string>();
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      readComment(line, lineNumber, families);
      return;
    }
    const sample = readSample(line, lineNumber);
    const family = familyOf(sample.name, families);
    const series = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seenSeries.has(series)) throw new PrometheusTextError(lineNumber, 'duplicate series', line);
    seenSeries.add(series);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function family(families: Map<string, MetricFamily>, name: string): MetricFamily {
  let found = families.get(name);
  if (!found) {
    found = { name, type: 'untyped', help: '', samples: [] };
    families.set(name, found);
  }
  return found;
}

function readComment(line: string, lineNumber: number, families: Map<string, MetricFamily>): void {
  const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
  if (!match) return; // any other comment is allowed and means nothing
  const [, keyword, name, afterName = ''] = match;
  const rest = afterName.trimStart();
  if (!METRIC_NAME.test(name)) throw new PrometheusTextError(lineNumber, 'invalid metric name', line);
  const target = family(families, name);
  if (keyword === 'HELP') {
    target.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
    return;
  }
  if (!TYPES.includes(rest as MetricType)) throw new PrometheusTextError(lineNumber, 'unknown metric type', line);
  if (target.samples.length > 0) throw new PrometheusTextError(lineNumber, 'TYPE after samples of the metric', line);
  if (target.type !== 'untyped' && target.type !== rest) throw new PrometheusTextError(lineNumber, 'TYPE declared twice', line);
  target.type = rest as MetricType;
}

/** The family a sample belongs to: its own name, or a histogram/summary it is a suffixed part of. */
function familyOf(sampleName: string, families: Map<string, MetricFamily>): MetricFamily {
  for (const candidate of families.values()) {
    if (SUFFIXES[candidate.type].some((suffix) => sampleName === candidate.name + suffix)) return candidate;
  }
  return family(families, sampleName);
}

function readSample(line: string, lineNumber: number): Sample {
  const fail = (problem: string): never => {
    throw new PrometheusTextError(lineNumber, problem, line);
  };
  const nameMatch = /^[a-z_:][\w:]*/i.exec(line);
  if (!nameMatch) fail('a sample must start with a metric name');
  const name = nameMatch![0];
  let pos = name.length;
  const labels: Record<string, string> = {};

  if (line[pos] === '{') {
    pos++;
    while (line[pos] !== '}') {
      const labelMatch = /^[a-z_]\w*/i.exec(line.slice(pos));
      if (!labelMatch || !LABEL_NAME.test(labelMatch[0])) fail('invalid label name');
      const labelName = labelMatch![0];
      pos += labelName.length;
      if (line[pos] !== '=' || line[pos + 1] !== '"') fail(`label ${labelName} needs ="value"`);
      pos += 2;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) fail('unterminated label value');
        if (c === '"') break;
        if (c === '\\') {
          const escaped = line[pos + 1];
          if (escaped === 'n') value += '\n';
          else if (escaped === '\\' || escaped === '"') value += escaped;
          else fail('invalid escape in label value');
          pos += 2;
          continue;
        }
        value += c;
        pos++;
      }
      pos++; // closing quote
      if (labelName in labels) fail(`label ${labelName} given twice`);
      labels[labelName] = value;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') fail('expected "," or "}" after a label');
    }
    pos++; // closing brace
  }

  const fields = line.slice(pos).trim().split(/[ \t]+/);
  if (line[pos] !== ' ' && line[pos] !== '\t') fail('expected a space before the value');
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') fail('expected a value and an optional timestamp');
  const value = parseValue(fields[0]);
  if (value === null) fail('invalid sample value');
  const sample: Sample = { name, labels, value: value! };
  if (fields.length === 2) {
    if (!/^-?\d+$/.test(fields[1])) fail('invalid timestamp');
    sample.timestampMs = Number(fields[1]);
  }
  return sample;
}

/**
 * A sample value as Prometheus reads it: Go's ParseFloat, which takes NaN and Inf in any letter case. prom-client
 * writes NaN as "Nan" (an event-loop-lag gauge with no samples yet, when two scrapes come within milliseconds).
 */
function parseValue(text: string): number | null {
  const word = text.toLowerCase();
  if (word === 'nan') return Number.NaN;
  if (word === '+inf' || word === 'inf') return Number.POSITIVE_INFINITY;
  if (word === '-inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i.test(text)) return null;
  return Number(text);
}

/** Buckets of each series must be cumulative, end with `+Inf`, and that bucket must equal `_count`. */
function checkHistogram(histogram: MetricFamily): void {
  const seriesKey = (labels: Record<string, string>) =>
    JSON.stringify(Object.entries(labels).filter(([name]) => name !== 'le').sort());
  const buckets = new Map<string, { le: number; value: number }[]>();
  const counts = new Map<string, number>();
  for (const sample of histogram.samples) {
    const key = seriesKey(sample.labels);
    if (sample.name === `${histogram.name}_bucket`) {
      const le = parseValue(sample.labels.le ?? '');
      if (le === null) throw new Error(`${histogram.name}: bucket without a valid le label`);
      buckets.set(key, [...(buckets.get(key) ?? []), { le, value: sample.value }]);
    } else if (sample.name === `${histogram.name}_count`) {
      counts.set(key, sample.value);
    }
  }
  for (const [key, series] of buckets) {
    series.sort((a, b) => a.le - b.le);
    series.forEach((bucket, i) => {
      if (i > 0 && bucket.value < series[i - 1].value) throw new Error(`${histogram.name}${key}: buckets are not cumulative`);
    });
    const last = series[series.length - 1];
    if (last.le !== Number.POSITIVE_INFINITY) throw new Error(`${histogram.name}${key}: no +Inf bucket`);
    if (counts.get(key) !== last.value) throw new Error(`${histogram.name}${key}: +Inf bucket ${last.value} differs from _count ${counts.get(key)}`);
  }
}
