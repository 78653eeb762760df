/**
 * The analysis itself, as a client of the MCP server: structure from the lsp_* tools,
 * correctness and timings from run_python_code in a session. Each implementation is measured in
 * its own call, so a slow or hanging one costs only its own time budget.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { errorMessage } from '../shared/errors.js';
import { packageFile } from '../shared/package-root.js';
import { callLimitSeconds } from './call-limit.js';
import { growthFitOf, memoryFit, round, sig } from './fit-report.js';
import { analyseGrowth, DEFAULT_GROWTH_OPTIONS, summarise } from './growth-stats.js';
import {
  createSession,
  lastLine,
  pyString,
  run,
  takeStored,
  type AnalysisSession,
} from './mcp-calls.js';
import {
  REPORT_SCHEMA_ID,
  type ComplexityEntry,
  type CorrectnessEntry,
  type Report,
  type Stop,
} from './report.js';
import { gatherStructure } from './structure.js';
import type { AnalysisTarget } from './target.js';
import { uncheckedMeasuredSizes, verdictOf } from './verdict.js';

export interface AnalyzeOptions {
  /** Seconds of measuring per implementation. */
  budgetSeconds: number;
  /** Seeds the inputs (and the bootstrap), so a run can be repeated exactly. */
  seed?: number;
  /** Seeded inputs per size (a generator that ignores its rng gives one). */
  inputsPerSize?: number;
  /** Function names to analyse instead of (or without) ANALYSIS["implementations"]. */
  implementations?: readonly string[];
  /** A preset name or a Python expression of n and rng, instead of ANALYSIS["input"]. */
  input?: string;
  sizes?: readonly number[];
  reference?: string;
  /** Bootstrap resamples for the confidence (default 200). */
  resamples?: number;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** One timed repeat: the raw material of every figure in the report (the CSV export). */
export interface SampleRow {
  implementation: string;
  n: number;
  input: number;
  repeat: number;
  seconds: number;
}

export interface AnalysisResult {
  report: Report;
  samples: SampleRow[];
}

interface Describe {
  files: Array<{
    file: string;
    module: string;
    doc: string;
    functions: Array<{ name: string; line: number | null; doc: string; signature: string | null }>;
    doctests: { attempted: number; failed: number; report: string };
  }>;
  declared: {
    implementations: string[];
    reference: string;
    sizes: number[];
    max_size: Record<string, number>;
    input: string;
    source: 'ANALYSIS' | 'options';
    input_guessed: boolean;
  } | null;
  errors: string[];
  notes: string[];
  python: string;
}

interface CrossCheck {
  status: CorrectnessEntry['status'];
  checked_inputs: number;
  checked_sizes: number[];
  unchecked_sizes: number[];
  failure: CorrectnessEntry['failure'];
  bisected: boolean;
  note?: string | null;
}

interface Measured {
  samples: Record<string, number[][]>;
  stopped: Stop;
  rounds: number;
  seconds: number;
}

const PROBE = packageFile('python', 'analyze_probe.py');

export async function analyze(
  client: Client,
  targets: readonly AnalysisTarget[],
  options: AnalyzeOptions,
): Promise<AnalysisResult> {
  const first = targets[0];
  if (first === undefined) throw new Error('analyze needs at least one target');
  const progress = options.onProgress ?? (() => undefined);
  const seed = options.seed ?? 0;
  const inputsPerSize = options.inputsPerSize ?? 5;
  const resamples = options.resamples ?? DEFAULT_GROWTH_OPTIONS.resamples;
  const notes: string[] = [];
  const samples: SampleRow[] = [];
  const describeTarget = (t: AnalysisTarget): Report['target'] => ({
    name: t.name,
    file: t.file,
    module: t.dotted,
  });
  const report: Report = {
    schema: REPORT_SCHEMA_ID,
    verdict: { status: 'ok', summary: '', problems: [] },
    target: describeTarget(first),
    targets: targets.map(describeTarget),
    generated_at: new Date().toISOString(),
    environment: {
      python: null,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.availableParallelism(),
      load_average_start: loadAverage(),
      load_average_end: [],
      seed,
      budget_seconds: options.budgetSeconds,
      inputs_per_size: inputsPerSize,
      bootstrap_resamples: resamples,
      confidence_threshold: DEFAULT_GROWTH_OPTIONS.threshold,
    },
    language_server: null,
    structure: {
      available: false,
      error: null,
      functions_from: null,
      functions: [],
      symbols: [],
      diagnostics: { known: false, items: [] },
    },
    load_error: null,
    doctests: null,
    declared: false,
    declaration: null,
    declaration_errors: [],
    correctness: null,
    complexity: [],
    notes,
  };
  const finish = (): AnalysisResult => {
    report.environment.load_average_end = loadAverage();
    report.verdict = verdictOf(report);
    return { report, samples };
  };

  progress('reading structure with the language server');
  await gatherStructure(client, first, report, options.signal);
  if (targets.length > 1)
    notes.push(`The language server's structure is read for ${first.file} only.`);

  progress('loading the module in the sandbox');
  const session = await createSession(client);
  try {
    const probe = await readFile(PROBE, 'utf8');
    const loaded = await run(client, session, probe, 30, options.signal);
    if (!loaded.ok)
      throw new Error(`the analysis helpers did not load: ${loaded.error ?? loaded.status}`);
    if (typeof loaded.value === 'string') report.environment.python = loaded.value;
    const pyTargets = targets.map((t) => ({
      path: `/workspace/${t.file}`,
      dotted: t.dotted,
      label: t.name,
      file: t.file,
    }));
    const pyOptions = {
      impls: options.implementations ?? [],
      input: options.input ?? null,
      sizes: options.sizes ?? null,
      reference: options.reference ?? null,
      seed,
      inputs_per_size: inputsPerSize,
    };
    const described = await run(
      client,
      session,
      `_pymcp_describe(json.loads(${pyString(JSON.stringify(pyTargets))}), json.loads(${pyString(JSON.stringify(pyOptions))}))`,
      120,
      options.signal,
    );
    if (!described.ok) {
      const error = described.error ?? described.status;
      // The interrupt's KeyboardInterrupt alone would not say why the module did not load.
      report.load_error =
        described.status === 'timed_out'
          ? `${error}\nTimeoutError: importing the module and running its doctests did not finish within ${described.timeoutSeconds} s`
          : error;
      return finish();
    }
    const info = described.value as Describe;
    report.environment.python = info.python;
    report.doctests = combineDoctests(info.files);
    if (report.structure.functions.length === 0) {
      report.structure.functions_from = 'module';
      report.structure.functions = info.files.flatMap((file, index) =>
        file.functions.map((f) => ({
          name: targets.length > 1 ? `${targets[index]?.name ?? file.module}.${f.name}` : f.name,
          line: f.line,
          signature: f.signature,
          doc: f.doc,
        })),
      );
    }
    // pylsp leaves the signature out of hovers whose docstring it renders as Markdown.
    for (const fn of report.structure.functions) {
      fn.signature ??= info.files[0]?.functions.find((f) => f.name === fn.name)?.signature ?? null;
    }
    notes.push(...info.notes);
    report.declaration_errors = info.errors;
    const declared = info.declared;
    if (declared !== null) {
      report.declaration = {
        source: declared.source,
        input_guessed: declared.input_guessed,
        implementations: declared.implementations,
        reference: declared.reference,
        input: declared.input,
        sizes: declared.sizes,
        max_size: declared.max_size,
      };
    }
    if (info.errors.length > 0) return finish();
    if (declared === null) {
      notes.push(
        `${first.file} declares no ANALYSIS and no --impl was given, so only structure, diagnostics and doctests were checked. To measure a function: analyze ${first.file} --impl NAME --input EXPR.`,
      );
      return finish();
    }
    report.declared = true;

    progress('cross-checking implementations against the reference');
    const correctness: NonNullable<Report['correctness']> = {
      reference: declared.reference,
      implementations: [],
    };
    const checkBudget = Math.max(2, options.budgetSeconds);
    const callLimit = Math.max(2, options.budgetSeconds);
    const hung = new Set<string>();
    for (const name of declared.implementations) {
      // One call per implementation: one that never returns costs only its own timeout.
      const check = await run(
        client,
        session,
        `_pymcp_crosscheck(${pyString(name)}, ${checkBudget}, ${callLimit})`,
        Math.ceil(checkBudget * 3 + callLimit * 4 + 15),
        options.signal,
      );
      if (check.ok) {
        const value = check.value as CrossCheck;
        correctness.implementations.push({ ...value, name, note: value.note ?? null });
        if (value.status === 'did_not_finish') hung.add(name);
      } else {
        hung.add(name);
        correctness.implementations.push({
          name,
          status: 'failed',
          checked_inputs: 0,
          checked_sizes: [],
          unchecked_sizes: declared.sizes,
          failure: null,
          bisected: false,
          note: `the cross-check itself failed: ${lastLine(check)}`,
        });
      }
    }
    report.correctness = correctness;

    for (const [index, name] of declared.implementations.entries()) {
      if (hung.has(name)) {
        report.complexity.push({
          name,
          points: [],
          stopped: {
            reason: 'not_measured',
            n: null,
            detail: 'it did not finish in the cross-check',
          },
          fit: null,
          memory: null,
        });
        continue;
      }
      progress(`measuring ${name} (${index + 1}/${declared.implementations.length})`);
      const entry = await measure(client, session, name, options, seed + index, resamples, samples);
      if (entry.points.length > 0) {
        progress(`measuring the memory of ${name}`);
        entry.memory = await measureMemory(
          client,
          session,
          name,
          entry.points.map((p) => p.n),
          options,
        );
      }
      report.complexity.push(entry);
    }
    const unchecked = uncheckedMeasuredSizes(report);
    if (unchecked.length > 0) notes.push(...unchecked);
    return finish();
  } catch (error) {
    notes.push(`The analysis stopped early: ${errorMessage(error)}`);
    return finish();
  } finally {
    await client
      .callTool({ name: 'close_session', arguments: { session_id: session.id } })
      .catch(() => undefined);
  }
}

async function measure(
  client: Client,
  session: AnalysisSession,
  name: string,
  options: AnalyzeOptions,
  bootstrapSeed: number,
  resamples: number,
  rows: SampleRow[],
): Promise<ComplexityEntry> {
  const budget = options.budgetSeconds;
  const result = await run(
    client,
    session,
    `_pymcp_measure(${pyString(name)}, ${budget}, ${callLimitSeconds(budget)})`,
    Math.ceil(budget * 3 + 30),
    options.signal,
  );
  const text = result.ok ? await takeStored(client, session, result.value, options.signal) : null;
  if (text === null) {
    return {
      name,
      points: [],
      stopped: {
        reason: 'measuring_failed',
        n: null,
        detail: result.ok ? 'the samples could not be read back' : lastLine(result),
      },
      fit: null,
      memory: null,
    };
  }
  const value = JSON.parse(text) as Measured;
  const sampleSet = Object.entries(value.samples)
    .map(([n, inputs]) => ({ n: Number(n), inputs }))
    .sort((a, b) => a.n - b.n);
  for (const { n, inputs } of sampleSet) {
    inputs.forEach((repeats, input) => {
      repeats.forEach((seconds, repeat) => {
        rows.push({ implementation: name, n, input, repeat, seconds });
      });
    });
  }
  const points = summarise(sampleSet).map((p) => ({
    n: p.n,
    seconds: sig(p.seconds),
    low: sig(p.low),
    high: sig(p.high),
    inputs: p.inputs,
    rounds: p.rounds,
    noise: round(p.noise),
  }));
  const growth = analyseGrowth(sampleSet, {
    resamples,
    seed: bootstrapSeed + 1,
    threshold: DEFAULT_GROWTH_OPTIONS.threshold,
  });
  return { name, points, stopped: value.stopped, fit: growth && growthFitOf(growth), memory: null };
}

async function measureMemory(
  client: Client,
  session: AnalysisSession,
  name: string,
  sizes: readonly number[],
  options: AnalyzeOptions,
): Promise<NonNullable<ComplexityEntry['memory']>> {
  const budget = Math.max(1, options.budgetSeconds / 2);
  const result = await run(
    client,
    session,
    `_pymcp_memory(${pyString(name)}, ${JSON.stringify(sizes)}, ${budget}, ${callLimitSeconds(budget)})`,
    Math.ceil(budget * 3 + 30),
    options.signal,
  );
  if (!result.ok) {
    return {
      points: [],
      stopped: { reason: 'measuring_failed', n: null, detail: lastLine(result) },
      fit: null,
    };
  }
  const value = result.value as { points: Array<{ n: number; bytes: number }>; stopped: Stop };
  return { points: value.points, stopped: value.stopped, fit: memoryFit(value.points) };
}

function combineDoctests(files: Describe['files']): Report['doctests'] {
  return {
    attempted: files.reduce((s, f) => s + f.doctests.attempted, 0),
    failed: files.reduce((s, f) => s + f.doctests.failed, 0),
    report: files
      .map((f) => f.doctests.report)
      .join('')
      .slice(-20_000),
  };
}

function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}
