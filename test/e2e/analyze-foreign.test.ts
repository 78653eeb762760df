/**
 * `analyze` on code nobody prepared for it (test/fixtures/analyze/): no wrapper, its own
 * doctests, every declaration mistake named, failures attributed to what failed, and the
 * sizes measured before a failure kept.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Report } from '../../src/analyze/report.js';
import { runCli } from '../helpers/cli.js';

const DIR = 'test/fixtures/analyze';

async function analyse(
  files: string[],
  extra: string[],
): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await runCli(
    [
      'analyze',
      ...files.map((f) => `${DIR}/${f}`),
      '--format',
      'json',
      '--lsp',
      'off',
      '--budget',
      '0.5',
      ...extra,
    ],
    { timeoutMs: 150_000 },
  );
  expect(result.stdout, result.stderr).not.toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

const entry = (report: Report, name: string): Report['complexity'][number] => {
  const found = report.complexity.find((c) => c.name === name);
  if (found === undefined) throw new Error(`${name} was not measured`);
  return found;
};
const check = (report: Report, name: string) =>
  report.correctness?.implementations.find((c) => c.name === name);

describe('analyze on foreign code', () => {
  test('a Binet Fibonacci wrong from n = 71 is caught at n = 71, past the old n <= 64 cross-check, and the file’s own doctests run', async () => {
    const { code, report } = await analyse(
      ['binet.py'],
      ['--impl', 'fib_loop', '--impl', 'fib_binet', '--input', 'int', '--sizes', '10,20,40,80,160'],
    );
    expect(code).toBe(1);
    expect(report.verdict.status).toBe('failed');
    expect(report.declaration).toMatchObject({
      source: 'options',
      input: 'int',
      reference: 'fib_loop',
    });
    // The module's doctests (3 examples in 3 docstrings), not a wrapper's.
    expect(report.doctests).toMatchObject({ attempted: 3, failed: 0 });
    expect(check(report, 'fib_loop')?.status).toBe('reference');
    expect(check(report, 'fib_binet')).toMatchObject({
      status: 'disagrees',
      bisected: true,
      failure: { n: 71, input: '(71,)', expected: '308061521170129' },
    });
    expect(report.verdict.problems.join('\n')).toMatch(/fib_binet disagrees with fib_loop at n=71/);
    expect(report.environment).toMatchObject({
      python: expect.stringMatching(/^3\.\d+\.\d+$/),
      seed: 0,
      budget_seconds: 0.5,
      inputs_per_size: 5,
      bootstrap_resamples: 200,
    });
    expect(report.environment.load_average_start).toHaveLength(3);
    // Without a language server the functions, and the lines that define them, come from the
    // module itself.
    expect(report.structure.functions_from).toBe('module');
    expect(report.structure.functions.map((f) => [f.name, f.line])).toEqual([
      ['fib_loop', 10],
      ['fib_binet', 22],
    ]);
  }, 150_000);

  test('on the default sizes, an exponential implementation that is only too slow at large n is timed where it finishes, not failed', async () => {
    const { code, report } = await analyse(
      ['exponential.py'],
      ['--impl', 'fib_loop', '--impl', 'fib_naive', '--input', 'int'],
    );
    const naive = check(report, 'fib_naive');
    // The default ladder goes up to 2^20; fib_naive(64) would take days. The check ends at the
    // first size it does not finish, without blaming it, and lists the sizes from there on as
    // unchecked. (On declared sizes that is a failure: analyze.test.ts, hangs.py.)
    expect(naive).toMatchObject({ status: 'agrees', failure: null });
    // Where the ladder ends for it: the first size it did not finish at (fib_naive(48) takes
    // minutes), or, on a machine slow enough that fib_naive(32) alone nearly spends the 2 s the
    // whole check may take, the budget (then there is no note).
    if (naive?.note !== null)
      expect(naive?.note).toMatch(
        /^it did not finish within 2 s at n=(32|48) of the default sizes: too slow there, or it does not end$/,
      );
    expect(naive?.checked_sizes.slice(0, 3)).toEqual([4, 6, 8]);
    expect(naive?.unchecked_sizes).toContain(64);
    expect(report.verdict.problems).toEqual([]);
    expect(report.verdict.status).not.toBe('failed');
    expect(code).toBe(0);
    const timed = entry(report, 'fib_naive');
    expect(timed.points.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...timed.points.map((p) => p.n))).toBeLessThan(64);
  }, 150_000);

  test.each([
    ['insertion_sort', 'random_ints'],
    ['binary_search', '(lambda xs: (xs, rng.choice(xs) if xs else 0))(sorted_ints(n, rng))'],
    ['longest_run', 'random_string'],
    ['chebyshev', '(random_floats(n, rng), random_floats(n, rng))'],
    ['total_weight', 'random_floats'],
  ])(
    'without --input, the input of %s is guessed from its signature (annotation, else name) and said',
    async (name, input) => {
      const { report } = await analyse(
        ['unannotated.py'],
        ['--impl', name, '--sizes', '8,16,32,64,128'],
      );
      expect(report.declaration_errors).toEqual([]);
      expect(report.declaration).toMatchObject({ input, implementations: [name] });
      expect(report.notes).toContain(
        `No input was declared; guessed --input ${input} from the signature of ${name}.`,
      );
      expect(entry(report, name).points.length).toBeGreaterThanOrEqual(4);
    },
    90_000,
  );

  test('two parameters whose names and annotations say nothing (x, y) are not guessed', async () => {
    const { report } = await analyse(
      ['unannotated.py'],
      ['--impl', 'common_prefix', '--sizes', '8,16,32'],
    );
    // x and y say nothing: no guess, and the error says what to give.
    expect(report.declaration_errors.join('\n')).toMatch(
      /common_prefix\(x, y\) has no ANALYSIS input and its parameters do not say what to pass: give --input/,
    );
  }, 60_000);

  test('a sequence and its length (recursive code passes it down) gets the length, not an item', async () => {
    const { report } = await analyse(
      ['unannotated.py'],
      ['--impl', 'sum_first', '--sizes', '8,16,32,64,128'],
    );
    expect(report.declaration).toMatchObject({
      input: '(lambda xs: (xs, len(xs)))(random_ints(n, rng))',
      input_guessed: true,
    });
    expect(entry(report, 'sum_first').points.length).toBeGreaterThanOrEqual(4);
    expect(report.verdict.status).not.toBe('failed');
  }, 90_000);

  test('an implementation that raises on the guessed input at the first size is a failure that asks for --input, not an empty ok', async () => {
    const { code, report } = await analyse(
      ['unannotated.py'],
      ['--impl', 'needs_permutation', '--sizes', '8,16,32'],
    );
    expect(report.complexity[0]?.points).toEqual([]);
    expect(report.verdict.status).toBe('failed');
    expect(report.verdict.problems.join('\n')).toMatch(
      /^needs_permutation was not measured: it raised at n=8 on the input guessed from its signature \(random_ints\): give --input \(ValueError: expects a permutation of 0\.\.n-1\)$/m,
    );
    expect(code).toBe(1);
  }, 90_000);

  test('a parameter nothing is known about is not guessed: the error says what to give', async () => {
    const { code, report } = await analyse(['unannotated.py'], ['--impl', 'degree_sum']);
    expect(code).toBe(1);
    expect(report.declaration_errors.join('\n')).toMatch(
      /degree_sum\(graph: dict\) -> int has no ANALYSIS input and its parameters do not say what to pass: give --input, a preset \(int, random_ints/,
    );
  }, 60_000);

  test('a misspelt ANALYSIS key is an error that names it and suggests the right one', async () => {
    const { code, report } = await analyse(['misspelt.py'], []);
    expect(code).toBe(1);
    expect(report.declared).toBe(false);
    expect(report.declaration_errors).toEqual([
      expect.stringMatching(
        /ANALYSIS has an unknown key "implementation"; did you mean "implementations"\?/,
      ),
    ]);
    expect(report.verdict.status).toBe('failed');
  }, 60_000);

  test('an input generator without rng is blamed on the generator, with its signature', async () => {
    const { code, report } = await analyse(['bad_generator.py'], []);
    expect(code).toBe(1);
    expect(report.declaration_errors.join('\n')).toMatch(
      /the input generator make_input\(n\) must take two arguments \(n, rng\)/,
    );
    expect(report.correctness).toBeNull();
  }, 60_000);

  test('an input generator that returns a bare value is told to return a tuple', async () => {
    const { code, report } = await analyse(['wrong_shape.py'], []);
    expect(code).toBe(1);
    expect(report.declaration_errors.join('\n')).toMatch(
      /the input generator make_input returned int 1 at n=1; it must return a tuple of positional arguments/,
    );
  }, 60_000);

  test('a generator that raises at a larger n is named, not the implementation, and earlier sizes are kept', async () => {
    const { code, report } = await analyse(['generator_raises.py'], []);
    expect(code).toBe(1);
    const loop = check(report, 'total_loop');
    expect(loop?.status).toBe('failed');
    expect(loop?.note).toMatch(
      /the input generator make_input raised ValueError: cannot build an input of size 64 at n=64/,
    );
    const measured = entry(report, 'total_formula');
    expect(measured.stopped).toMatchObject({ reason: 'input_error', n: 64 });
    expect(measured.points.map((p) => p.n)).toEqual([2, 4, 8, 16, 32]);
  }, 90_000);

  test('an implementation that raises mid-way: the exception line in full as a structured stop, the sizes before it kept and fitted', async () => {
    const { report } = await analyse(
      ['deep.py'],
      ['--impl', 'sum_loop', '--impl', 'sum_recursive', '--input', 'int', '--sizes', '16..4096'],
    );
    const recursive = entry(report, 'sum_recursive');
    expect(recursive.stopped).toMatchObject({
      reason: 'raised',
      detail: expect.stringMatching(/^RecursionError: maximum recursion depth exceeded/),
    });
    const stoppedAt = recursive.stopped?.n ?? 0;
    expect(stoppedAt).toBeGreaterThan(900);
    expect(recursive.points.length).toBeGreaterThanOrEqual(6);
    expect(recursive.points.every((p) => p.n < stoppedAt)).toBe(true);
    expect(recursive.fit).not.toBeNull();
    // The cross-check bisects down to the first n past the recursion limit.
    expect(check(report, 'sum_recursive')).toMatchObject({ status: 'raised', bisected: true });
    expect(check(report, 'sum_recursive')?.failure?.got).toMatch(/^raised RecursionError/);
  }, 150_000);

  test('a reference that raises is named as the one that raised, and the implementation checked against it is not blamed', async () => {
    const { report } = await analyse(
      ['deep.py'],
      [
        '--impl',
        'sum_recursive',
        '--impl',
        'sum_loop',
        '--input',
        'int',
        '--sizes',
        '16,64,256,4096,16384',
      ],
    );
    expect(check(report, 'sum_loop')).toMatchObject({
      status: 'agrees',
      failure: null,
      checked_sizes: [16, 64, 256],
      unchecked_sizes: [4096, 16384],
      note: expect.stringMatching(/the reference sum_recursive raised RecursionError.* at n=4096/),
    });
    expect(report.verdict.problems.join('\n')).not.toMatch(/sum_loop/);
  }, 150_000);

  test('generators, generator expressions and map objects are run to their end: compared by their values, not as objects', async () => {
    const { code, report } = await analyse(
      ['lazy.py'],
      [
        '--impl',
        'squares_list',
        '--impl',
        'squares_gen',
        '--impl',
        'squares_genexpr',
        '--impl',
        'squares_map',
        '--sizes',
        '16,64,256,1024',
      ],
    );
    for (const name of ['squares_gen', 'squares_genexpr', 'squares_map'])
      expect(check(report, name), name).toMatchObject({ status: 'agrees', failure: null });
    expect(report.verdict.problems).toEqual([]);
    expect(code).toBe(0);
  }, 150_000);

  test('two files compared on one report: implementations named by file, cross-checked, each file’s doctests run; the CSV holds the samples behind every point', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pymcp-csv-'));
    const csv = path.join(dir, 'samples.csv');
    const { code, report } = await analyse(
      ['cmp_a.py', 'cmp_b.py'],
      ['--impl', 'total', '--input', 'int', '--sizes', '16..4096', '--csv', csv],
    );
    const rows = (await readFile(csv, 'utf8')).trim().split('\n');
    await rm(dir, { recursive: true, force: true });
    expect(rows[0]).toBe('implementation,n,input,repeat,seconds_per_call');
    // The best repeat of each input, then the median over inputs, is the reported point.
    const loop = entry(report, 'cmp_a.total');
    // Every class's fit is reported, with the chosen one's coefficients (y = a·f(n) + b).
    expect(loop.fit?.classes.map((c) => c.class)).toEqual([
      'O(1)',
      'O(log n)',
      'O(n)',
      'O(n log n)',
      'O(n^1.5)',
      'O(n^2)',
      'O(n^3)',
      'O(2^n)',
    ]);
    const chosenRow = loop.fit?.classes.find((c) => c.class === loop.fit?.class);
    expect(loop.fit?.coefficients).toEqual({ a: chosenRow?.a, b: chosenRow?.b });
    expect(loop.fit?.coefficients.a).toBeGreaterThan(0);
    for (const point of loop.points) {
      const best = new Map<string, number>();
      for (const row of rows.slice(1)) {
        const [impl, n, input, , seconds] = row.split(',');
        if (impl !== 'cmp_a.total' || Number(n) !== point.n) continue;
        best.set(input ?? '', Math.min(best.get(input ?? '') ?? Infinity, Number(seconds)));
      }
      const sorted = [...best.values()].sort((a, b) => a - b);
      expect(sorted).toHaveLength(point.inputs);
      expect(Number(sorted[(sorted.length - 1) / 2]?.toPrecision(4))).toBe(point.seconds);
    }
    expect(code).toBe(0);
    expect(report.targets.map((t) => t.name)).toEqual(['cmp_a', 'cmp_b']);
    expect(report.complexity.map((c) => c.name)).toEqual(['cmp_a.total', 'cmp_b.total']);
    expect(check(report, 'cmp_b.total')?.status).toBe('agrees');
    expect(report.doctests).toMatchObject({ attempted: 2, failed: 0 });
    // Memory is measured for each: the loop allocates nothing that grows.
    expect(entry(report, 'cmp_a.total').memory?.fit?.class).toBe('O(1)');
  }, 150_000);

  test('guessed inputs: an Optional or "| None" list, a class by its __init__, a search at n = 0', async () => {
    for (const name of ['sort_maybe', 'sort_or_none', 'Sorted']) {
      const { report } = await analyse(
        ['odd_signatures.py'],
        ['--impl', name, '--sizes', '4,8,16,32'],
      );
      expect(report.declaration_errors, name).toEqual([]);
      expect(report.declaration, name).toMatchObject({ input: 'random_ints', input_guessed: true });
      expect(entry(report, name).points, name).toHaveLength(4);
    }
    const { report } = await analyse(['odd_signatures.py'], ['--impl', 'find', '--sizes', '0,1,2']);
    expect(report.declaration_errors).toEqual([]);
    expect(entry(report, 'find').points.map((p) => p.n)).toEqual([0, 1, 2]);
  }, 150_000);

  test('an implementation with no call finished at the first size fails the verdict, not "ok"', async () => {
    const { code, report } = await analyse(['odd_signatures.py'], ['--impl', 'spin']);
    expect(code).toBe(1);
    expect(report.verdict.status).toBe('failed');
    expect(report.verdict.problems.join('\n')).toMatch(
      /spin was not measured: no call finished in time at n=4/,
    );
  }, 60_000);

  test('on the default sizes, a stop its own class cannot explain (an endless loop past n = 16) is not ok', async () => {
    const { report } = await analyse(
      ['odd_signatures.py'],
      ['--impl', 'identity', '--impl', 'identity_until_16'],
    );
    expect(check(report, 'identity_until_16')?.status).toBe('agrees');
    expect(report.verdict.status).toBe('uncertain');
    expect(report.verdict.summary).toMatch(
      /identity_until_16: a call at n=24 ran past .* where its class O\(1\) predicts .*or it does not end/,
    );
  }, 150_000);

  test('an unknown --impl name is an error with a suggestion', async () => {
    const { code, report } = await analyse(['binet.py'], ['--impl', 'fib_bient', '--input', 'int']);
    expect(code).toBe(1);
    expect(report.declaration_errors.join('\n')).toMatch(
      /--impl fib_bient: no function named "fib_bient" .*; did you mean "fib_binet"\?/,
    );
  }, 60_000);

  test('a bad --sizes is refused before anything starts', async () => {
    const result = await runCli([
      'analyze',
      `${DIR}/binet.py`,
      '--impl',
      'fib_loop',
      '--sizes',
      '10,5',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--sizes 10,5: sizes must be strictly ascending/);
  });
});
