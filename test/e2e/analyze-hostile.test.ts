/**
 * A module written by someone else, whose file name, docstrings, doctest output and exception
 * messages carry HTML, Markdown, terminal escapes and a very long line: the reports show them as
 * text and nothing of them runs, links, loads or reshapes the page.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Report } from '../../src/analyze/report.js';
import { renderMarkdown, renderText } from '../../src/analyze/render-text.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
/** C0 but newline and tab, DEL, C1. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const FILE = 'ev`il<b>|x.py';

const MODULE = `"""Module </script><script>alert(1)</script>"""


def f_a(n: int) -> int:
    """Doc </script><img src=x onerror=alert(3)> [click](javascript:alert(4)) ![t](http://evil.test/t.png) <!--

    >>> f_a(1)
    '</script><img onerror=x>'
    """
    print("<script>alert(5)</script>\\x1b[2J\\n\`\`\`\`\\n[y](javascript:alert(8))")
    return n


def f_b(n: int) -> int:
    """<b>bold</b> \`\`\`"""
    if n > 10:
        raise ValueError(
            "</td></tr></table><script>alert(6)</script> \`\`\`\\n\`\`\` [x](javascript:alert(7)) "
            "\\x1b]52;c;ZXZpbA==\\x07 " + "A" * 5000
        )
    return n


ANALYSIS = {"implementations": [f_a, f_b], "input": lambda n, rng: (n,), "sizes": [1, 4, 16, 64]}
`;

let dir: string;
let report: Report;
let html: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pymcp-hostile-'));
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, FILE), MODULE, { mode: 0o644 });
  html = path.join(dir, 'report.html');
  const result = await runCli(
    ['analyze', FILE, '--format', 'json', '--html', html, '--budget', '0.5'],
    { cwd: dir, timeoutMs: 120_000 },
  );
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code, result.stderr).toBe(1);
  // The JSON report parses, and carries the module's text as it is.
  report = JSON.parse(result.stdout) as Report;
  expect(report.doctests?.report).toContain('\x1b[2J');
  expect(report.structure.functions.map((f) => f.name)).toEqual(['f_a', 'f_b']);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The Markdown outside its fenced blocks, checking each fence closes where it was meant to. */
function outsideFences(markdown: string): string[] {
  const outside: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    if (fence === null) {
      const open = /^(`{3,})/.exec(line);
      if (open?.[1] !== undefined) fence = open[1];
      else outside.push(line);
    } else if (new RegExp(`^\`{${fence.length},}\\s*$`).test(line)) fence = null;
  }
  expect(fence).toBeNull();
  return outside;
}

test('Markdown: the module cannot close a code fence, open raw HTML, or make a link or an image', () => {
  const markdown = renderMarkdown(report);
  const outside = outsideFences(markdown);
  const prose = outside.join('\n');
  expect(prose).toContain('f\\_a');
  expect(prose).toContain('javascript:');
  // Every <, [, ! and backtick the module wrote is escaped outside the fences and code spans.
  for (const line of outside.filter((l) => !l.startsWith('# '))) {
    expect(line).not.toMatch(/(?<!\\)(<|\[|!\[|`)/);
  }
  expect(outside[0]).toBe('# Analysis of ``ev`il<b>|x``');
  expect(markdown).not.toMatch(CONTROLS);
});

test('text: no terminal control sequence from the module reaches the terminal', () => {
  const text = renderText(report);
  expect(text).toContain('\\x1b[2J');
  expect(text).not.toMatch(CONTROLS);
});

test('HTML: nothing runs, loads or links, and a 5000-character message does not widen the page', async () => {
  const source = await readFile(html, 'utf8');
  expect(source).not.toMatch(/<script|<img|<a /i);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (request.url() !== pathToFileURL(html).href) problems.push(`request: ${request.url()}`);
    });
    await page.goto(pathToFileURL(html).href);
    expect(await page.title()).toBe('Analysis of ev`il<b>|x');
    await expect(page.locator('script, img, a, iframe').count()).resolves.toBe(0);
    await expect(page.locator('table.correctness td').nth(3).textContent()).resolves.toContain(
      '</td></tr></table><script>alert(6)</script>',
    );
    const widths = await page.evaluate(
      '({ page: document.documentElement.scrollWidth, view: window.innerWidth })',
    );
    const { page: pageWidth, view } = widths as { page: number; view: number };
    expect(pageWidth).toBeLessThanOrEqual(view);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}, 60_000);
