/** The HTML report in a real headless browser (Debian's chromium via playwright-core). */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Report } from '../../src/analyze/report.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';

/** The DOM, as far as this test reads it (the project compiles without the DOM lib). */
interface ChartElement {
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): { length: number };
}
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface TextElement {
  textContent: string | null;
  getBoundingClientRect(): Box;
}

const MODULE = `import random


def square_loop(n: int, data: list[float]) -> int:
    """n squared by repeated addition (O(n))."""
    total = 0
    for _ in range(n):
        total += n
    return total


def square_mul(n: int, data: list[float]) -> int:
    """n squared by multiplication (O(1))."""
    return n * n


def square_after_scan(n: int, data: list[float]) -> int:
    """n squared, after scanning data for its first value below 0.05: a cost that depends on the
    input (the position of that value), not on n."""
    for value in data:
        if value < 0.05:
            break
    return n * n


def make_input(n: int, rng: random.Random) -> tuple[int, list[float]]:
    return (n, [rng.random() for _ in range(n)])


ANALYSIS = {
    "implementations": [square_loop, square_mul, square_after_scan],
    "input": make_input,
    "sizes": [1, 4, 16, 64, 256, 1024, 4096, 16384],
}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pymcp-html-'));
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'squares.py'), MODULE, { mode: 0o644 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the report page: a time chart and a memory chart with measured points, fitted curves and spread; readable axes; no console errors', async () => {
  const html = path.join(dir, 'report.html');
  const result = await runCli(
    [
      'analyze',
      'squares.py',
      '--format',
      'json',
      '--html',
      html,
      '--budget',
      '0.5',
      '--lsp',
      'off',
    ],
    { cwd: dir, timeoutMs: 120_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as Report;
  const measured = report.complexity.filter((c) => c.points.length > 0).map((c) => c.name);
  expect(measured).toEqual(['square_loop', 'square_mul', 'square_after_scan']);
  // Self-contained: no scripts and nothing fetched from elsewhere.
  const source = await readFile(html, 'utf8');
  expect(source).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    await page.goto(pathToFileURL(html).href);
    expect(await page.title()).toBe('Analysis of squares');
    const series = await page
      .locator('svg.chart.time g.series')
      .evaluateAll((nodes: ChartElement[]) =>
        nodes.map((n) => ({
          name: n.getAttribute('data-name'),
          points: n.querySelectorAll('circle').length,
        })),
      );
    expect(series.map((s) => s.name)).toEqual(measured);
    for (const s of series) {
      expect(s.points).toBe(report.complexity.find((c) => c.name === s.name)?.points.length);
    }
    // Fitted curves: one dashed line per fitted implementation, on both charts.
    await expect(page.locator('svg.chart.time polyline.fitted').count()).resolves.toBe(
      report.complexity.filter((c) => c.fit !== null).length,
    );
    await expect(page.locator('svg.chart.memory g.series').count()).resolves.toBe(3);
    // The input-dependent one shows its spread between inputs as bars.
    await expect(
      page.locator('svg.chart.time g.series[data-name="square_after_scan"] line.spread').count(),
    ).resolves.toBeGreaterThan(0);
    await expect(page.locator('svg.chart.memory polyline.fitted').count()).resolves.toBeGreaterThan(
      0,
    );
    const box = await page.locator('svg.chart.time').boundingBox();
    expect(box?.width).toBeGreaterThan(500);
    // Axes: the y-axis title overlaps no tick label; x ticks use one notation throughout.
    for (const kind of ['time', 'memory']) {
      const title = await page
        .locator(`svg.chart.${kind} text.axis`)
        .nth(1)
        .evaluate((t: TextElement) => t.getBoundingClientRect());
      const ticks = await page
        .locator(`svg.chart.${kind} text.tick.y`)
        .evaluateAll((nodes: TextElement[]) => nodes.map((n) => n.getBoundingClientRect()));
      expect(ticks.length).toBeGreaterThan(1);
      for (const tick of ticks) expect(title.x + title.width).toBeLessThan(tick.x);
      const labels = await page
        .locator(`svg.chart.${kind} text.tick.x`)
        .evaluateAll((nodes: TextElement[]) => nodes.map((n) => n.textContent ?? ''));
      const powers = labels.filter((l) => /^10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+$/.test(l));
      const plain = labels.filter((l) => /^\d+$/.test(l));
      expect(labels.length).toBeGreaterThan(2);
      expect([powers.length, plain.length]).toContain(labels.length);
    }
    await expect(page.locator('p.verdict').textContent()).resolves.toMatch(
      /^(OK|UNCERTAIN): square_loop O\(/,
    );
    await expect(page.locator('table.growth tbody tr').count()).resolves.toBe(3);
    const shot = path.join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}, 120_000);
