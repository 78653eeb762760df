/**
 * `isolated-pymcp analyze` through the built CLI on files that work and files that do not: the
 * report is right, broken code is reported clearly, and nothing hangs.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/analyze/report.js';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/mcp-client.js';

const FILES: Record<string, string> = {
  'summing.py': `"""Sum of 0..n-1, three ways."""
import random


def sum_loop(n: int) -> int:
    """Add up with a loop.

    >>> sum_loop(4)
    6
    """
    total = 0
    for i in range(n):
        total += i
    return total


def sum_formula(n: int) -> int:
    """Gauss's formula.

    >>> sum_formula(4)
    6
    """
    return n * (n - 1) // 2


def sum_wrong(n: int) -> int:
    """Off by one from n = 3 on."""
    return n * (n - 1) // 2 + (1 if n >= 3 else 0)


def make_input(n: int, rng: random.Random) -> tuple[int]:
    return (n,)


ANALYSIS = {
    "implementations": [sum_loop, sum_formula, sum_wrong],
    "reference": sum_formula,
    "input": make_input,
    "sizes": [1, 2, 3, 4, 8, 16, 64, 256, 1024, 4096],
}
`,
  'broken_syntax.py': 'def oops(:\n    return 1\n',
  'missing_import.py': 'import not_a_real_module_xyz\n\n\ndef f() -> int:\n    return 1\n',
  'hangs.py': `import random


def fine(n: int) -> int:
    return n


def forever(n: int) -> int:
    while n >= 4:
        pass
    return n


def make_input(n: int, rng: random.Random) -> tuple[int]:
    return (n,)


ANALYSIS = {"implementations": [fine, forever], "input": make_input, "sizes": [1, 2, 4, 8, 16, 32, 64, 128]}
`,
  'loops_at_import.py': 'while True:\n    pass\n\n\ndef f(n: int) -> int:\n    return n\n',
  'plain.py': `def double(x: int) -> int:
    """Twice x.

    >>> double(2)
    4
    >>> double(3)
    7
    """
    return 2 * x
`,
};

/** summing.py told to analyse only its correct functions: no error expected. */
const CORRECT_SUMS = {
  algorithm: 'summing.py',
  budget_seconds: 0.5,
  implementations: ['sum_formula', 'sum_loop'],
  input: 'int',
  sizes: [1, 2, 4, 8, 16, 64, 256, 1024],
};
describe('analyze', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pymcp-analyze-'));
    await chmod(dir, 0o755);
    for (const [name, text] of Object.entries(FILES))
      await writeFile(path.join(dir, name), text, { mode: 0o644 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const analyse = async (file: string, extra: string[] = ['--lsp', 'off']) => {
    const result = await runCli(
      ['analyze', file, '--format', 'json', '--budget', '0.5', ...extra],
      {
        cwd: dir,
        timeoutMs: 120_000,
      },
    );
    return { ...result, report: JSON.parse(result.stdout) as Report };
  };

  test('a wrong implementation is caught with the smallest failing input, and the others are measured', async () => {
    const { report, code } = await analyse('summing.py', ['--lsp', 'pyright']);
    expect(code).toBe(1);
    expect(report.declared).toBe(true);
    expect(report.doctests).toMatchObject({ attempted: 2, failed: 0 });
    const wrong = report.correctness?.implementations.find((c) => c.name === 'sum_wrong');
    expect(wrong?.failure).toMatchObject({ n: 3, input: '(3,)', expected: '3', got: '4' });
    expect(
      report.correctness?.implementations.find((c) => c.name === 'sum_loop')?.failure,
    ).toBeNull();
    const loop = report.complexity.find((c) => c.name === 'sum_loop');
    expect(loop?.points.length).toBeGreaterThanOrEqual(4);
    expect(loop?.fit).not.toBeNull();
    // Structure from the language server: signatures and docstrings via hover.
    expect(report.language_server).toBe('pyright');
    expect(report.structure.functions.find((f) => f.name === 'sum_loop')).toMatchObject({
      signature: 'def sum_loop(n: int) -> int',
      doc: expect.stringContaining('Add up with a loop.'),
    });
  }, 120_000);

  test('a syntax error is reported as a load error, without hanging', async () => {
    const { report, code } = await analyse('broken_syntax.py');
    expect(code).toBe(1);
    expect(report.load_error).toMatch(/SyntaxError/);
    expect(report.complexity).toEqual([]);
    // The status is said once, not as "FAILED: FAILED: ...".
    expect(report.verdict.summary).toMatch(/^the module did not load: SyntaxError/);
    // Where, in the workspace's terms, and which Python: what a syntax error depends on.
    expect(report.verdict.summary).toMatch(/\(broken_syntax\.py line 1\)$/);
    expect(report.environment.python).toMatch(/^3\.\d+\.\d+$/);
    const text = await runCli(['analyze', 'broken_syntax.py', '--lsp', 'off'], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(text.stdout).toMatch(/^FAILED: the module did not load: SyntaxError/m);
  }, 60_000);

  test('a missing module is reported by name', async () => {
    const { report } = await analyse('missing_import.py');
    expect(report.load_error).toMatch(
      /ModuleNotFoundError: No module named 'not_a_real_module_xyz'/,
    );
  }, 60_000);

  test('an implementation that never returns is stopped and reported; the others still finish', async () => {
    const { report } = await analyse('hangs.py');
    const forever = report.correctness?.implementations.find((c) => c.name === 'forever');
    expect(forever?.failure?.got).toMatch(/did not finish/);
    expect(report.complexity.find((c) => c.name === 'forever')?.stopped).toMatchObject({
      reason: 'not_measured',
    });
    expect(report.complexity.find((c) => c.name === 'fine')?.points.length).toBeGreaterThan(3);
  }, 120_000);

  test('a file without ANALYSIS still gets its doctests run, and says what was skipped', async () => {
    const { report, code } = await analyse('plain.py');
    expect(code).toBe(1);
    expect(report.declared).toBe(false);
    expect(report.doctests).toMatchObject({ attempted: 2, failed: 1 });
    expect(report.notes.join(' ')).toMatch(/declares no ANALYSIS/);
  }, 60_000);

  test("with pylsp, the signature is the function's, not a line of its doctest", async () => {
    const { report } = await analyse('plain.py', ['--lsp', 'pylsp']);
    expect(report.language_server).toBe('pylsp');
    expect(report.structure.functions.find((f) => f.name === 'double')).toMatchObject({
      signature: 'def double(x: int) -> int',
      doc: expect.stringContaining('Twice x.'),
    });
  }, 60_000);

  test('the analyze_algorithm tool sets isError when an implementation disagrees, not when all agree', async () => {
    const server = await startServer(['--workspace', dir]);
    try {
      const wrong = await server.call('analyze_algorithm', {
        algorithm: 'summing.py',
        budget_seconds: 0.5,
      });
      expect(wrong.isError).toBe(true);
      const report = wrong.structuredContent as Report;
      expect(report.verdict.status).toBe('failed');
      expect(report.verdict.problems.join('\n')).toMatch(
        /sum_wrong disagrees with sum_formula at n=3/,
      );
      // The same file, told to analyse only the correct functions: no error.
      const fine = await server.call('analyze_algorithm', CORRECT_SUMS);
      expect(fine.isError ?? false).toBe(false);
      expect((fine.structuredContent as Report).verdict.status).not.toBe('failed');
      const broken = await server.call('analyze_algorithm', {
        algorithm: 'broken_syntax.py',
        budget_seconds: 0.5,
      });
      expect(broken.isError).toBe(true);
      expect((broken.structuredContent as Report).verdict.problems[0]).toMatch(
        /the module did not load: SyntaxError/,
      );
    } finally {
      expect(await server.close()).toEqual([]);
    }
  }, 180_000);

  test('the analyze_algorithm tool works on a server whose --max-timeout is below its steps’ own limits, and a module that never finishes importing says so', async () => {
    const server = await startServer(['--workspace', dir, '--max-timeout', '5', '--timeout', '5']);
    try {
      const fine = await server.call('analyze_algorithm', CORRECT_SUMS);
      const report = fine.structuredContent as Report;
      expect(report.verdict.problems).toEqual([]);
      expect(report.correctness?.implementations).toHaveLength(2);
      const looping = await server.call('analyze_algorithm', {
        algorithm: 'loops_at_import.py',
        budget_seconds: 0.5,
      });
      expect(looping.isError).toBe(true);
      expect((looping.structuredContent as Report).verdict.problems[0]).toMatch(
        /the module did not load: .*did not finish within 5 s/,
      );
    } finally {
      expect(await server.close()).toEqual([]);
    }
  }, 180_000);

  test('--list names the bundled algorithms', async () => {
    const result = await runCli(['analyze', '--list']);
    expect(result.code).toBe(0);
    for (const name of ['fibonacci', 'factorial', 'sorting', 'searching', 'primes', 'gcd']) {
      expect(result.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
  });

  test('an output path that cannot be written is refused before the analysis, not after it', async () => {
    for (const [option, file, why] of [
      ['--out', tmpdir(), /--out .* is a directory; name a file in it/],
      ['--html', path.join(tmpdir(), 'no-such-dir-pymcp', 'r.html'), /--html .*: cannot write in /],
      ['--csv', tmpdir(), /--csv .* is a directory/],
    ] as const) {
      const result = await runCli(['analyze', 'gcd', '--lsp', 'off', option, file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(why);
      // Refused up front: no progress line of a started analysis.
      expect(result.stderr.split('\n').filter((line) => line.trim() !== '')).toHaveLength(1);
    }
  });

  test('an unknown algorithm name lists the real ones', async () => {
    const result = await runCli(['analyze', 'no_such_algorithm']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /no bundled algorithm "no_such_algorithm"; available: .*fibonacci/,
    );
  });
});
