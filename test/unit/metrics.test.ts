/** The Prometheus text format, written by hand: escaping, histograms, families. */
import { describe, expect, test } from 'vitest';
import { formatLabels, formatValue, MetricsRegistry } from '../../src/server/metrics.js';

describe('formatLabels', () => {
  test.each<[Record<string, string>, string]>([
    [{}, ''],
    [{ tool: 'run_python_code' }, '{tool="run_python_code"}'],
    [{ a: 'x', b: 'y' }, '{a="x",b="y"}'],
    // Injection: a value cannot close its quotes, its braces, or start a new sample line.
    [{ v: 'a"} 1\nevil 2' }, '{v="a\\"} 1\\nevil 2"}'],
    [{ v: 'back\\slash' }, '{v="back\\\\slash"}'],
  ])('%j -> %s', (labels, expected) => {
    expect(formatLabels(labels)).toBe(expected);
  });
});

describe('formatValue', () => {
  test.each<[number, string]>([
    [0, '0'],
    [1.5, '1.5'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('%s -> %s', (value, expected) => {
    expect(formatValue(value)).toBe(expected);
  });
});

describe('MetricsRegistry', () => {
  test('a histogram is cumulative, with +Inf, sum and count per label set', () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram('d_seconds', 'Durations.', [0.1, 1], ['tool']);
    h.observe({ tool: 'a' }, 0.05);
    h.observe({ tool: 'a' }, 0.5);
    h.observe({ tool: 'a' }, 5);
    h.observe({ tool: 'b' }, 1);
    expect(registry.render()).toBe(
      [
        '# HELP d_seconds Durations.',
        '# TYPE d_seconds histogram',
        'd_seconds_bucket{tool="a",le="0.1"} 1',
        'd_seconds_bucket{tool="a",le="1"} 2',
        'd_seconds_bucket{tool="a",le="+Inf"} 3',
        'd_seconds_sum{tool="a"} 5.55',
        'd_seconds_count{tool="a"} 3',
        'd_seconds_bucket{tool="b",le="0.1"} 0',
        'd_seconds_bucket{tool="b",le="1"} 1',
        'd_seconds_bucket{tool="b",le="+Inf"} 1',
        'd_seconds_sum{tool="b"} 1',
        'd_seconds_count{tool="b"} 1',
        '',
      ].join('\n'),
    );
  });

  test('counters add per label set; gauges are read at each render', () => {
    const registry = new MetricsRegistry();
    const c = registry.counter('calls_total', 'Calls.', ['outcome']);
    let open = 2;
    registry.gauge('open', 'Open.', () => open);
    registry.counterFrom('plain_total', 'Unlabelled.', () => 7);
    c.inc({ outcome: 'ok' });
    c.inc({ outcome: 'ok' });
    c.inc({ outcome: 'error' });
    open = 3;
    const text = registry.render();
    expect(text).toContain('calls_total{outcome="ok"} 2\ncalls_total{outcome="error"} 1\n');
    expect(text).toContain('# TYPE open gauge\nopen 3\n');
    expect(text).toContain('# TYPE plain_total counter\nplain_total 7\n');
  });

  test('a name registered twice is a programming error', () => {
    const registry = new MetricsRegistry();
    registry.gauge('g', 'G.', () => 1);
    expect(() => {
      registry.gauge('g', 'G.', () => 1);
    }).toThrow(/already registered/);
  });
});
