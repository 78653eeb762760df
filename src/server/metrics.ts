/**
 * Metrics in the Prometheus text exposition format (version 0.0.4), written by hand: counters,
 * gauges read when scraped, and histograms, with label values escaped as the format requires.
 * The format is a few lines of text; a library (prom-client) would add a dependency and its
 * start-up cost to every process, stdio included, for the same output.
 */

/** The Content-Type of the text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** The sample lines, without the HELP and TYPE lines. */
  samples(): string[];
}

/** `{a="x",b="y"}` (empty for no labels), values escaped: backslash, quote and newline. */
export function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([key, value]) =>
      `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** A sample value as the format writes it (+Inf, -Inf, NaN spelled out). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** The key of a label set, in the order the labels were declared. */
function keyOf(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((name) => labels[name] ?? ''));
}

function labelsOf(labelNames: readonly string[], key: string): Record<string, string> {
  const values = JSON.parse(key) as string[];
  return Object.fromEntries(labelNames.map((name, i) => [name, values[i] ?? '']));
}

export class Counter {
  readonly #values = new Map<string, number>();

  constructor(private readonly labelNames: readonly string[] = []) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(this.labelNames, labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  samples(name: string): string[] {
    if (this.labelNames.length === 0 && this.#values.size === 0) return [`${name} 0`];
    return [...this.#values].map(
      ([key, value]) =>
        `${name}${formatLabels(labelsOf(this.labelNames, key))} ${formatValue(value)}`,
    );
  }
}

export class Histogram {
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(
    private readonly buckets: readonly number[],
    private readonly labelNames: readonly string[] = [],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = keyOf(this.labelNames, labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    // Buckets are cumulative: a value counts in every bucket whose bound it does not exceed.
    this.buckets.forEach((bound, i) => {
      if (value <= bound && series.counts[i] !== undefined) series.counts[i] += 1;
    });
    series.sum += value;
    series.count += 1;
  }

  samples(name: string): string[] {
    const lines: string[] = [];
    for (const [key, series] of this.#series) {
      const labels = labelsOf(this.labelNames, key);
      this.buckets.forEach((bound, i) => {
        const le = formatLabels({ ...labels, le: formatValue(bound) });
        lines.push(`${name}_bucket${le} ${series.counts[i] ?? 0}`);
      });
      lines.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${series.count}`);
      lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(series.sum)}`);
      lines.push(`${name}_count${formatLabels(labels)} ${series.count}`);
    }
    return lines;
  }
}

/** Metric families, rendered in the order they were added. */
export class MetricsRegistry {
  readonly #families: Family[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const counter = new Counter(labelNames);
    this.#add({ name, help, type: 'counter', samples: () => counter.samples(name) });
    return counter;
  }

  histogram(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly string[] = [],
  ): Histogram {
    const histogram = new Histogram(buckets, labelNames);
    this.#add({ name, help, type: 'histogram', samples: () => histogram.samples(name) });
    return histogram;
  }

  /** A value read when scraped: one sample, or one per label set. */
  gauge(
    name: string,
    help: string,
    read: () => number | readonly (readonly [Labels, number])[],
  ): void {
    this.#add({ name, help, type: 'gauge', samples: () => sampleLines(name, read()) });
  }

  /** A counter kept elsewhere (a total that only grows), read when scraped. */
  counterFrom(name: string, help: string, read: () => number): void {
    this.#add({ name, help, type: 'counter', samples: () => [`${name} ${formatValue(read())}`] });
  }

  render(): string {
    const lines: string[] = [];
    for (const family of this.#families) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${family.name} ${family.type}`);
      lines.push(...family.samples());
    }
    return `${lines.join('\n')}\n`;
  }

  #add(family: Family): void {
    if (this.#families.some((f) => f.name === family.name)) {
      throw new Error(`metric ${family.name} is already registered`);
    }
    this.#families.push(family);
  }
}

function sampleLines(
  name: string,
  read: number | readonly (readonly [Labels, number])[],
): string[] {
  if (typeof read === 'number') return [`${name} ${formatValue(read)}`];
  return read.map(([labels, value]) => `${name}${formatLabels(labels)} ${formatValue(value)}`);
}
