import { describe, expect, test } from 'vitest';
import { memoryFit } from '../../src/analyze/fit-report.js';
import type { Report } from '../../src/analyze/report.js';
import { verdictOf, workspaceFrame } from '../../src/analyze/verdict.js';

const ladder = [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512];

describe('memoryFit', () => {
  test('a step in the peaks (deep recursion outgrowing the first frame-stack chunk) is not read as O(2^n), and is uncertain', () => {
    // As measured for a recursive bubble sort on CPython 3.11: flat, then ~58 bytes a level.
    const points = ladder.map((n) => ({ n, bytes: n < 384 ? 96 : 58 * n }));
    const fit = memoryFit(points);
    expect(fit?.class).not.toBe('O(2^n)');
    expect(fit?.certain).toBe(false);
    expect(fit?.reason).toMatch(
      /^no class fits every peak within 20 %: the nearest, O\(.+\), is \d+ % off/,
    );
    // Every class's error is still reported, O(2^n)'s too.
    expect(fit?.classes.map((c) => c.class)).toContain('O(2^n)');
  });

  test('peaks that grow linearly, with an allocator step or two, are O(n) and certain', () => {
    // A list grown by appends: capacity jumps by ~1.125x plus a constant.
    const points = ladder.map((n) => ({ n, bytes: 56 + 8 * Math.ceil(n * 1.125 + 6) }));
    const fit = memoryFit(points);
    expect(fit).toMatchObject({ class: 'O(n)', certain: true, reason: null });
  });

  test('peaks that double with each step of n are O(2^n)', () => {
    const points = [4, 6, 8, 10, 12, 14, 16, 18].map((n) => ({ n, bytes: 100 + 16 * 2 ** n }));
    expect(memoryFit(points)).toMatchObject({ class: 'O(2^n)', certain: true });
  });

  test('peaks all under a kilobyte are O(1), certain', () => {
    expect(memoryFit(ladder.map((n) => ({ n, bytes: 96 + (n % 3) * 8 })))).toMatchObject({
      class: 'O(1)',
      certain: true,
      reason: null,
    });
  });
});

describe('workspaceFrame', () => {
  test('the innermost frame in the workspace, by its path there', () => {
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/usr/lib/python3.11/importlib/__init__.py", line 126, in import_module',
      '  File "/workspace/pkg/a.py", line 3, in <module>',
      '  File "/workspace/pkg/b.py", line 27',
      '    def f[T](x: T) -> T:',
      '         ^',
      "SyntaxError: expected '('",
    ].join('\n');
    expect(workspaceFrame(traceback)).toBe('pkg/b.py line 27');
  });

  test('none when no frame is in the workspace', () => {
    expect(workspaceFrame('  File "/usr/lib/x.py", line 1\nValueError: no')).toBeNull();
    expect(workspaceFrame('TimeoutError: did not finish')).toBeNull();
  });
});

describe('verdictOf', () => {
  const base = {
    load_error: null,
    declaration_errors: [],
    doctests: null,
    correctness: null,
    declared: true,
    declaration: null,
  };
  test('an implementation measured at too few sizes for a class makes the verdict uncertain, not ok', () => {
    const report = {
      ...base,
      complexity: [
        { name: 'bogo', points: [{ n: 4 }, { n: 6 }], stopped: null, fit: null, memory: null },
      ],
    } as unknown as Report;
    expect(verdictOf(report)).toMatchObject({
      status: 'uncertain',
      summary: 'bogo not fitted (2 points)',
    });
  });

  const stoppedAt = (n: number, a: number) =>
    ({
      ...base,
      environment: { budget_seconds: 1 },
      complexity: [
        {
          name: 'loop',
          points: [{ n: 4 }, { n: 8 }, { n: 16 }],
          // A certain O(n) class: 1 µs per item, no overhead.
          stopped: { reason: 'slow_call', n, detail: `a call at n=${n} ran past 0.5 s` },
          fit: { class: 'O(n)', certain: true, coefficients: { a, b: 0 }, base: null },
          memory: null,
        },
      ],
    }) as unknown as Report;

  test('a call past the limit where its own class predicts a small fraction of it makes the verdict uncertain, naming it', () => {
    // O(n) at 1 µs an item predicts 32 µs at n=32, against a 0.5 s limit: an endless loop, or a
    // jump the smaller sizes do not show.
    const verdict = verdictOf(stoppedAt(32, 1e-6));
    expect(verdict.status).toBe('uncertain');
    expect(verdict.summary).toMatch(
      /loop: a call at n=32 ran past 0\.5 s, where its class O\(n\) predicts 32(\.0)? µs: too slow there for a reason the sizes below do not show, or it does not end/,
    );
  });

  test('a call past the limit that its class explains (it predicts the limit or more) is not a doubt', () => {
    // 20 ms an item predicts 0.64 s at n=32: past the 0.5 s limit, as measured.
    expect(verdictOf(stoppedAt(32, 0.02)).status).toBe('ok');
  });
});
