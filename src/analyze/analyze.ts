/**
 * The analysis itself, as a client of the MCP server: structure from the lsp_* tools,
 * correctness and timings from run_python_code in a session. Each implementation is measured in
 * its own call, so a slow or hanging one costs only its own time budget.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../shared/errors.js';
import { packageFile } from '../shared/package-root.js';
import { fitClasses, fitPowerLaw, MIN_POINTS, selectClass } from './fit.js';
import { analyseGrowth, summarise, type GrowthFit } from './growth-stats.js';
import {
  REPORT_SCHEMA_ID,
  type ComplexityEntry,
  type CorrectnessEntry,
  type Report,
  type Stop,
} from './report.js';
import type { AnalysisTarget } from './target.js';

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

interface RunValue {
  ok: boolean;
  value: unknown;
  error: string | null;
  status: string;
}

interface Describe {
  files: Array<{
    file: string;
    module: string;
    doc: string;
    functions: Array<{ name: string; doc: string; signature: string | null }>;
    doctests: { attempted: number; failed: number; report: string };
  }>;
  declared: {
    implementations: string[];
    reference: string;
    sizes: number[];
    max_size: Record<string, number>;
    input: string;
    source: 'ANALYSIS' | 'options';
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
  note?: string;
}

interface Measured {
  samples: Record<string, number[][]>;
  stopped: Stop;
  rounds: number;
  seconds: number;
}

const PROBE = packageFile('python', 'analyze_probe.py');
const CONFIDENCE_THRESHOLD = 0.9;
/** Under this peak at every size, memory is O(1) without fitting (allocator noise). */
const MEMORY_FLOOR_BYTES = 1024;

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
  const resamples = options.resamples ?? 200;
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
      confidence_threshold: CONFIDENCE_THRESHOLD,
    },
    language_server: null,
    structure: {
      available: false,
      error: null,
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
      report.load_error = described.error ?? described.status;
      return finish();
    }
    const info = described.value as Describe;
    report.environment.python = info.python;
    report.doctests = combineDoctests(info.files);
    if (report.structure.functions.length === 0) {
      report.structure.functions = info.files.flatMap((file) =>
        file.functions.map((f) => ({
          name: targets.length > 1 ? `${file.module}.${f.name}` : f.name,
          line: null,
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
      .callTool({ name: 'close_session', arguments: { session_id: session } })
      .catch(() => undefined);
  }
}

async function measure(
  client: Client,
  session: string,
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
    `_pymcp_measure(${pyString(name)}, ${budget})`,
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
    threshold: CONFIDENCE_THRESHOLD,
  });
  return { name, points, stopped: value.stopped, fit: growth && growthFitOf(growth), memory: null };
}

/** Read a stored result back page by page (each tool result has a byte budget). */
async function takeStored(
  client: Client,
  session: string,
  stored: unknown,
  signal?: AbortSignal,
): Promise<string | null> {
  const chars = (stored as { chars?: unknown } | null)?.chars;
  if (typeof chars !== 'number') return null;
  let text = '';
  while (text.length < chars) {
    const page = await run(client, session, `_pymcp_take(${text.length})`, 30, signal);
    if (!page.ok || typeof page.value !== 'string' || page.value === '') return null;
    text += page.value;
  }
  return text;
}

function growthFitOf(growth: GrowthFit): NonNullable<ComplexityEntry['fit']> {
  const ranked = [...growth.all].sort((a, b) => a.bic - b.bic);
  const runnerUp = ranked.find((f) => f !== growth.chosen) ?? null;
  return {
    class: growth.chosen.growth,
    confidence: round(growth.confidence),
    certain: growth.certain,
    alternatives: growth.alternatives.map((a) => ({ class: a.growth, share: round(a.share) })),
    reason: growth.reason,
    rms_error: round(growth.chosen.rmsError),
    coefficients: { a: sig(growth.chosen.a), b: sig(growth.chosen.b) },
    base: growth.chosen.base === undefined ? null : round(growth.chosen.base),
    exponent:
      growth.exponent === null
        ? null
        : {
            value: round(growth.exponent.value, 100),
            low: round(growth.exponent.low, 100),
            high: round(growth.exponent.high, 100),
          },
    runner_up: runnerUp?.growth ?? null,
    runner_up_rms_error: runnerUp ? round(runnerUp.rmsError) : null,
    classes: growth.all.map((f) => ({
      class: f.growth,
      rms_error: round(f.rmsError),
      bic: round(f.bic, 100),
      share: round(growth.shares[f.growth]),
      a: sig(f.a),
      b: sig(f.b),
      base: f.base === undefined ? null : round(f.base),
    })),
  };
}

async function measureMemory(
  client: Client,
  session: string,
  name: string,
  sizes: readonly number[],
  options: AnalyzeOptions,
): Promise<NonNullable<ComplexityEntry['memory']>> {
  const budget = Math.max(1, options.budgetSeconds / 2);
  const result = await run(
    client,
    session,
    `_pymcp_memory(${pyString(name)}, ${JSON.stringify(sizes)}, ${budget})`,
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

/** The class of peak memory against n: O(1) when every peak is under a kilobyte, else BIC. */
export function memoryFit(
  points: ReadonlyArray<{ n: number; bytes: number }>,
): NonNullable<ComplexityEntry['memory']>['fit'] {
  if (points.length < MIN_POINTS) return null;
  if (points.every((p) => p.bytes < MEMORY_FLOOR_BYTES)) {
    return {
      class: 'O(1)',
      rms_error: 0,
      coefficients: { a: 0, b: Math.max(...points.map((p) => p.bytes)) },
      exponent: 0,
      classes: [],
    };
  }
  // Allocator noise is tens of bytes: a floor keeps a 0-byte point from dominating the fit.
  const floored = points.map((p) => ({ n: p.n, seconds: Math.max(p.bytes, 64) }));
  const all = fitClasses(floored);
  const chosen = selectClass(all);
  if (chosen === null) return null;
  const power = fitPowerLaw(floored);
  return {
    class: chosen.growth,
    rms_error: round(chosen.rmsError),
    coefficients: { a: sig(chosen.a), b: sig(chosen.b) },
    exponent: power === null || chosen.growth === 'O(2^n)' ? null : round(power.exponent, 100),
    classes: all.map((f) => ({ class: f.growth, rms_error: round(f.rmsError) })),
  };
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

function uncheckedMeasuredSizes(report: Report): string[] {
  const out: string[] = [];
  for (const entry of report.complexity) {
    const check = report.correctness?.implementations.find((c) => c.name === entry.name);
    if (check === undefined || check.status === 'reference' || check.status !== 'agrees') continue;
    const checked = new Set(check.checked_sizes);
    const missing = entry.points.map((p) => p.n).filter((n) => !checked.has(n));
    if (missing.length > 0)
      out.push(
        `${entry.name} was measured at ${missing.length} size${missing.length === 1 ? '' : 's'} the cross-check did not reach within its budget (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}).`,
      );
  }
  return out;
}

/** The top-level verdict: what failed, else whether any class is uncertain. */
export function verdictOf(report: Report): Report['verdict'] {
  const problems: string[] = [];
  if (report.load_error !== null) {
    const line = report.load_error.trim().split('\n').pop() ?? '';
    problems.push(`the module did not load: ${line}`);
  }
  problems.push(...report.declaration_errors);
  if (report.doctests !== null && report.doctests.failed > 0)
    problems.push(`${report.doctests.failed} of ${report.doctests.attempted} doctests failed`);
  for (const c of report.correctness?.implementations ?? []) {
    if (c.failure !== null) {
      const f = c.failure;
      problems.push(
        `${c.name} ${c.status === 'did_not_finish' ? 'did not finish' : c.status === 'raised' ? 'raised' : 'disagrees with ' + (report.correctness?.reference ?? 'the reference')} at n=${f.n}: got ${f.got}, expected ${f.expected}`,
      );
    } else if (c.status === 'failed')
      problems.push(`${c.name}: ${c.note ?? 'the cross-check failed'}`);
  }
  const classes = report.complexity.map((c) => {
    if (c.fit === null) return `${c.name} not fitted (${c.points.length} points)`;
    const label =
      c.fit.class === 'O(2^n)' && c.fit.base !== null
        ? `O(${c.fit.base.toFixed(2)}^n)`
        : c.fit.class;
    if (c.fit.certain) return `${c.name} ${label}`;
    const others = c.fit.alternatives.map((a) => a.class);
    return `${c.name} ${[label, ...others].join(' or ')} (uncertain, ${Math.round(c.fit.confidence * 100)} %)`;
  });
  const uncertain = report.complexity.some((c) => c.fit !== null && !c.fit.certain);
  const status = problems.length > 0 ? 'failed' : uncertain ? 'uncertain' : 'ok';
  const agreeing = (report.correctness?.implementations ?? []).filter((c) => c.status === 'agrees');
  const parts: string[] = [];
  if (classes.length > 0) parts.push(classes.join('; '));
  if (report.correctness !== null && agreeing.length > 0)
    parts.push(
      `${agreeing.length} implementation${agreeing.length === 1 ? '' : 's'} agree${agreeing.length === 1 ? 's' : ''} with ${report.correctness.reference}`,
    );
  if (problems.length > 0) parts.unshift(`FAILED: ${problems.join('; ')}`);
  if (parts.length === 0)
    parts.push(report.declared ? 'nothing was measured' : 'not measured (no declaration)');
  return { status, summary: parts.join('. '), problems };
}

async function gatherStructure(
  client: Client,
  target: AnalysisTarget,
  report: Report,
  signal?: AbortSignal,
): Promise<void> {
  const structure = report.structure;
  try {
    const symbols = await call(
      client,
      'lsp_document_symbols',
      { file: target.file, limit: 500 },
      signal,
    );
    if (symbols.isError) {
      structure.error = textOf(symbols);
      return;
    }
    structure.available = true;
    const items = (
      symbols.structuredContent as { items: Array<{ path: string; kind: string; line: number }> }
    ).items;
    structure.symbols = items.map((s) => ({ path: s.path, kind: s.kind, line: s.line }));
    for (const fn of items.filter(
      (s) => (s.kind === 'function' || s.kind === 'class') && !s.path.includes('.'),
    )) {
      const hover = await call(client, 'lsp_hover', { file: target.file, symbol: fn.path }, signal);
      const contents = hover.isError
        ? ''
        : ((hover.structuredContent as { contents?: string }).contents ?? '');
      const [signature, doc] = splitHover(contents, fn.path);
      structure.functions.push({ name: fn.path, line: fn.line, signature, doc });
    }
    const diagnostics = await call(
      client,
      'lsp_diagnostics',
      { file: target.file, limit: 200 },
      signal,
    );
    const content = diagnostics.structuredContent as
      | {
          known: boolean;
          server: string;
          items: Array<{
            line: number;
            column: number;
            severity: string;
            message: string;
            code: string | null;
          }>;
        }
      | undefined;
    structure.diagnostics = {
      known: content?.known ?? false,
      items: (content?.items ?? []).map((d) => ({
        line: d.line,
        column: d.column,
        severity: d.severity,
        message: d.message,
        code: d.code,
      })),
    };
    report.language_server = content?.server ?? null;
  } catch (error) {
    structure.error = errorMessage(error);
  }
}

/**
 * Hover markdown -> (the signature, the prose after it). The signature is the code block the
 * hover starts with, when it reads as one: pyright's `(function) def f(...)`, a `def`/`class`
 * line, or pylsp's `f(a, b) -> r`. pylsp renders doctests as code blocks too and, for such
 * docstrings, sends no signature at all: `>>> f(0), f(1)` must not become one.
 */
export function splitHover(contents: string, name: string): [string | null, string] {
  const block = /^\s*```(?:python)?\n([\s\S]*?)```/.exec(contents);
  const code = block?.[1]?.trim() ?? '';
  const escaped =
    name
      .split('.')
      .pop()
      ?.replace(/[^\p{L}\p{N}_]/gu, '') ?? '';
  const forms = [
    new RegExp(`^\\((?:function|method|class|variable|type)\\)\\s+.*\\b${escaped}\\b`, 'su'),
    new RegExp(`^(?:async\\s+)?(?:def|class)\\s+${escaped}\\b`, 'u'),
    new RegExp(`^${escaped}\\([^()]*\\)(?:\\s*->\\s*[^\\n]+)?$`, 'u'),
  ];
  const signature =
    block !== null && escaped !== '' && forms.some((form) => form.test(code))
      ? code
          .replace(/^\((?:function|method|class|variable|type)\)\s*/, '')
          .replace(/\(\s+/g, '(')
          .replace(/,\s+/g, ', ')
          .replace(/,?\s+\)/g, ')')
      : null;
  const doc = (signature === null ? contents : contents.slice(block?.[0].length ?? 0))
    .replace(/^\s*---\s*$/m, '')
    // Hover text is Markdown; the report wants the docstring as written.
    .replace(/\\([\\`*_{}[\]()#+\-.!|])/g, '$1')
    .trim();
  return [signature, doc];
}

async function createSession(client: Client): Promise<string> {
  const created = await call(client, 'create_session', {});
  if (created.isError) throw new Error(`could not create a sandbox session: ${textOf(created)}`);
  return (created.structuredContent as { session_id: string }).session_id;
}

async function run(
  client: Client,
  session: string,
  code: string,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<RunValue> {
  const result = await call(
    client,
    'run_python_code',
    { python_code: code, session_id: session, timeout_seconds: timeoutSeconds },
    signal,
  );
  const content = result.structuredContent as
    | {
        status: string;
        return_value: unknown;
        error: { type: string; message: string; traceback: string } | null;
      }
    | undefined;
  if (content === undefined)
    return { ok: false, value: null, error: textOf(result), status: 'error' };
  const ok = content.status === 'completed';
  const error = content.error
    ? content.error.traceback || `${content.error.type}: ${content.error.message}`
    : null;
  return {
    ok,
    value: content.return_value,
    error: ok ? null : (error ?? content.status),
    status: content.status,
  };
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<CallToolResult> {
  // One short-lived signal per call: the SDK keeps its abort listener on whatever signal it gets,
  // so sharing the caller's across dozens of calls would pile listeners up on it.
  const local = new AbortController();
  const forward = (): void => {
    local.abort(signal?.reason);
  };
  if (signal?.aborted) local.abort(signal.reason);
  signal?.addEventListener('abort', forward, { once: true });
  try {
    return (await client.callTool({ name, arguments: args }, undefined, {
      signal: local.signal,
      timeout: 15 * 60_000,
    })) as CallToolResult;
  } finally {
    signal?.removeEventListener('abort', forward);
  }
}

/** The last line of a failed run's error (the exception line), whole. */
function lastLine(result: RunValue): string {
  if (result.status === 'timed_out') return 'the step ran past its timeout';
  const lines = (result.error ?? result.status).trim().split('\n');
  return lines[lines.length - 1] ?? result.status;
}

function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/** Four significant digits. */
function sig(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

function pyString(value: string): string {
  return JSON.stringify(value);
}

function round(value: number, scale = 10_000): number {
  return Math.round(value * scale) / scale;
}
