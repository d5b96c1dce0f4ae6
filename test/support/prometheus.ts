import { MetricFamily, MetricType, parsePrometheusText } from './prometheus-text';

/** One scrape, parsed by the strict text-format parser, with lookups by metric name and labels. */
export class Scrape {
  constructor(readonly families: Map<string, MetricFamily>) {}

  has(name: string): boolean {
    return this.families.has(name);
  }

  type(name: string): MetricType | undefined {
    return this.families.get(name)?.type;
  }

  /** The label sets of a family's series (for a histogram, of its `_count` samples). */
  labelSets(name: string): Record<string, string>[] {
    return this.samples(name, this.sampleName(name)).map((sample) => sample.labels);
  }

  /** Sum of a counter's or gauge's samples whose labels include `labels` (0 when none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.sum(this.matching(name, name, labels));
  }

  /** Sum of a histogram's observation counts (`_count`) whose labels include `labels` (0 when none). */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.sum(this.matching(name, `${name}_count`, labels));
  }

  private sampleName(name: string): string {
    const type = this.type(name);
    return type === 'histogram' || type === 'summary' ? `${name}_count` : name;
  }

  private samples(family: string, sampleName: string) {
    return (this.families.get(family)?.samples ?? []).filter((sample) => sample.name === sampleName);
  }

  private matching(family: string, sampleName: string, labels: Record<string, string>) {
    return this.samples(family, sampleName).filter((sample) =>
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  }

  private sum(samples: { value: number }[]): number {
    return samples.reduce((total, sample) => total + sample.value, 0);
  }
}

/** GETs a Prometheus endpoint and parses it; fails unless it answers 200 in the text format. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('text/plain') || !contentType.includes('version=0.0.4')) {
    throw new Error(`GET ${url} has content type ${contentType}, not the Prometheus text format`);
  }
  return new Scrape(parsePrometheusText(text));
}
