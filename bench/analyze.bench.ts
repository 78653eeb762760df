/**
 * Stability of `analyze`: every bundled module analysed RUNS times (default 5) under a
 * background CPU load of one busy core, counting how often each implementation gets its
 * textbook class, and whether the report called its own result uncertain when it did not.
 *
 *   make bench-analyze     (npm run build && node dist/bench/analyze.bench.js)
 *   RUNS=3 MODULES=fibonacci,sorting node dist/bench/analyze.bench.js
 *
 * Each run is the built CLI as a user runs it (`analyze MODULE --format json --lsp off`, the
 * default budget and seed, except the seed changes per run so the inputs differ). Runs go
 * round-robin over the modules, so a slow spell of the machine spoils one run of several
 * modules rather than every run of one. Progress goes to stderr, the tables to stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Report } from '../src/analyze/report.js';
import { BIN, ROOT } from './mcp-server.js';
import { loadAverage, reportEnd, runBench } from './report.js';
import { PYTHON } from './settings.js';
import { renderTable } from './stats.js';

/**
 * The textbook class of each bundled implementation, as its docstring states it, mapped to the
 * classes analyze fits. Where the docstring's cost lies between two classes, both are listed.
 */
const TEXTBOOK: Record<string, Record<string, { classes: string[]; note?: string }>> = {
  fibonacci: {
    fib_naive: { classes: ['O(2^n)'] },
    fib_memo: { classes: ['O(n)'] },
    fib_iterative: { classes: ['O(n)'] },
    fib_fast_doubling: { classes: ['O(log n)'] },
    fib_matrix: { classes: ['O(log n)'] },
  },
  // n multiplications, but of a growing big integer: the time's exponent climbs from 1 towards
  // 2 as n grows, so the class depends on the range (the recursive one stops at n = 512).
  factorial: {
    factorial_recursive: {
      classes: ['O(n^1.5)', 'O(n^2)'],
      note: 'n products of a growing big integer',
    },
    factorial_iterative: {
      classes: ['O(n^1.5)', 'O(n^2)'],
      note: 'n products of a growing big integer',
    },
    factorial_math: {
      classes: ['O(n^1.5)', 'O(n^2)'],
      note: 'binary splitting with Karatsuba products',
    },
  },
  sorting: {
    bubble_sort: { classes: ['O(n^2)'] },
    insertion_sort: { classes: ['O(n^2)'] },
    merge_sort: { classes: ['O(n log n)'] },
    quick_sort: { classes: ['O(n log n)'] },
    heap_sort: { classes: ['O(n log n)'] },
    heapq_sort: { classes: ['O(n log n)'] },
    builtin_sort: { classes: ['O(n log n)'] },
  },
  searching: {
    linear_search: { classes: ['O(n)'] },
    binary_search: { classes: ['O(log n)'] },
    bisect_search: { classes: ['O(log n)'] },
  },
  primes: {
    primes_naive: { classes: ['O(n^2)'], note: 'n^2 / log n' },
    primes_trial_division: { classes: ['O(n log n)', 'O(n^1.5)'], note: 'n sqrt(n) / log n' },
    primes_sieve: { classes: ['O(n)'], note: 'n log log n: the log log factor is not measurable' },
  },
  gcd: {
    gcd_recursive: { classes: ['O(n)'], note: 'n division steps' },
    gcd_iterative: { classes: ['O(n)'], note: 'n division steps' },
    gcd_binary: { classes: ['O(n)'], note: 'O(bits) steps' },
    gcd_math: { classes: ['O(n)'], note: 'n division steps, in C' },
  },
  max_subarray: {
    max_subarray_cubic: { classes: ['O(n^3)'] },
    max_subarray_quadratic: { classes: ['O(n^2)'] },
    max_subarray_divide: { classes: ['O(n log n)'] },
    max_subarray_kadane: { classes: ['O(n)'] },
  },
  power: {
    power_naive: { classes: ['O(n)'] },
    power_fast: { classes: ['O(log n)'] },
    power_recursive: { classes: ['O(log n)'] },
    power_builtin: { classes: ['O(log n)'] },
  },
  two_sum: {
    two_sum_brute: { classes: ['O(n^2)'] },
    two_sum_sorted: { classes: ['O(n log n)'] },
    two_sum_hash: { classes: ['O(n)'] },
  },
  matrix: {
    matmul_naive: { classes: ['O(n^3)'] },
    matmul_transposed: { classes: ['O(n^3)'] },
    matmul_strassen: { classes: ['O(n^3)'], note: 'n^2.81: exponent reported' },
  },
};

interface Tally {
  module: string;
  name: string;
  expected: string[];
  note: string;
  hits: number;
  runs: number;
  /** Runs whose report called the class uncertain. */
  uncertain: number;
  /** Runs that got a wrong class and still called it certain: the failure that matters. */
  confidentlyWrong: number;
  classes: string[];
  exponents: number[];
}

function busyCore(): ChildProcess {
  // Background load: one core kept busy by a plain Python loop, at normal priority.
  return spawn(PYTHON, ['-c', 'while True: pass'], { stdio: 'ignore', shell: false });
}

function analyse(module: string, seed: number): Promise<Report | string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [BIN, 'analyze', module, '--format', 'json', '--lsp', 'off', '--seed', String(seed)],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, shell: false },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', () => {
      try {
        resolve(JSON.parse(stdout) as Report);
      } catch {
        resolve(`no report: ${stderr.trim().split('\n').pop() ?? ''}`);
      }
    });
  });
}

async function main(): Promise<void> {
  const began = performance.now();
  const runs = Number(process.env.RUNS ?? 5);
  const modules = (process.env.MODULES ?? Object.keys(TEXTBOOK).join(',')).split(',');
  console.log('isolated-pymcp analyze stability benchmark');
  console.log(
    `node ${process.version}, ${availableParallelism()} cpus; ${runs} runs of ${modules.length} modules under one busy core`,
  );
  console.log(`load average at start (before the busy core): ${loadAverage()}`);
  const tallies = new Map<string, Tally>();
  const failures: string[] = [];
  const load = busyCore();
  // An interrupted benchmark must not leave its busy core running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      load.kill('SIGKILL');
      process.exit(130);
    });
  }
  try {
    for (let run = 1; run <= runs; run += 1) {
      for (const module of modules) {
        process.stderr.write(`run ${run}/${runs}: ${module} (load ${loadAverage()})\n`);
        const result = await analyse(module, run);
        if (typeof result === 'string') {
          failures.push(`${module} run ${run}: ${result}`);
          continue;
        }
        for (const entry of result.complexity) {
          const textbook = TEXTBOOK[module]?.[entry.name];
          if (textbook === undefined) continue;
          const key = `${module}.${entry.name}`;
          const tally = tallies.get(key) ?? {
            module,
            name: entry.name,
            expected: textbook.classes,
            note: textbook.note ?? '',
            hits: 0,
            runs: 0,
            uncertain: 0,
            confidentlyWrong: 0,
            classes: [],
            exponents: [],
          };
          tallies.set(key, tally);
          tally.runs += 1;
          const fit = entry.fit;
          const hit = fit !== null && textbook.classes.includes(fit.class);
          if (hit) tally.hits += 1;
          if (fit === null || !fit.certain) tally.uncertain += 1;
          if (!hit && fit?.certain === true) tally.confidentlyWrong += 1;
          tally.classes.push(fit === null ? '-' : `${fit.class}${fit.certain ? '' : '?'}`);
          if (fit?.exponent) tally.exponents.push(fit.exponent.value);
        }
      }
    }
  } finally {
    load.kill('SIGKILL');
  }
  const rows = [...tallies.values()].map((t) => [
    `${t.module}.${t.name}`,
    t.expected.join(' or ') + (t.note ? ` (${t.note})` : ''),
    `${t.hits}/${t.runs}`,
    `${t.uncertain}/${t.runs}`,
    String(t.confidentlyWrong),
    t.exponents.length > 0
      ? `${Math.min(...t.exponents).toFixed(2)}..${Math.max(...t.exponents).toFixed(2)}`
      : '-',
    t.classes.join(', '),
  ]);
  console.log(
    renderTable(
      'Textbook class per implementation (? = the report called it uncertain)',
      [
        'implementation',
        'textbook',
        'textbook class',
        'called uncertain',
        'wrong but certain',
        'exponent range',
        'classes reported',
      ],
      rows,
    ),
  );
  const all = [...tallies.values()];
  const atLeast4 = all.filter((t) => t.hits >= Math.min(4, t.runs)).length;
  const notAll = all.filter((t) => t.hits < t.runs);
  const honest = notAll.filter((t) => t.confidentlyWrong === 0).length;
  console.log(
    renderTable(
      'Goals',
      ['goal', 'result'],
      [
        [
          `textbook class in at least 4 of ${runs} runs`,
          `${atLeast4} of ${all.length} implementations`,
        ],
        [
          `implementations below ${runs}/${runs} whose wrong runs were all called uncertain`,
          `${honest} of ${notAll.length}`,
        ],
      ],
    ),
  );
  for (const failure of failures) console.log(`FAILED RUN: ${failure}`);
  reportEnd(began, []);
}

runBench(main);
