/**
 * The analysis itself, as a client of the MCP server: structure from the lsp_* tools,
 * correctness and timings from run_python_code in a session. Each implementation is measured in
 * its own call, so a slow or hanging one costs only its own time budget.
 */
import { readFile } from 'node:fs/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../shared/errors.js';
import { packageFile } from '../shared/package-root.js';
import { fitGrowth } from './fit.js';
import { REPORT_SCHEMA_ID, type ComplexityEntry, type Report } from './report.js';
import type { AnalysisTarget } from './target.js';

export interface AnalyzeOptions {
  /** Seconds of measuring per implementation. */
  budgetSeconds: number;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

interface RunValue {
  ok: boolean;
  value: unknown;
  error: string | null;
  status: string;
}

interface Describe {
  module: string;
  doc: string;
  functions: Array<{ name: string; doc: string; signature: string | null }>;
  doctests: { attempted: number; failed: number; report: string };
  declared: {
    implementations: string[];
    reference: string;
    sizes: number[];
    max_size: Record<string, number>;
    has_input: boolean;
  } | null;
}

const PROBE = packageFile('python', 'analyze_probe.py');
const CROSSCHECK_MAX_N = 64;
const CROSSCHECK_TIMEOUT_SECONDS = 15;

export async function analyze(
  client: Client,
  target: AnalysisTarget,
  options: AnalyzeOptions,
): Promise<Report> {
  const progress = options.onProgress ?? (() => undefined);
  const notes: string[] = [];
  const report: Report = {
    schema: REPORT_SCHEMA_ID,
    target: { name: target.name, file: target.file, module: target.dotted },
    generated_at: new Date().toISOString(),
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
    correctness: null,
    complexity: [],
    notes,
  };

  progress('reading structure with the language server');
  await gatherStructure(client, target, report, options.signal);

  progress('loading the module in the sandbox');
  const session = await createSession(client);
  try {
    const probe = await readFile(PROBE, 'utf8');
    const loaded = await run(client, session, probe, 30, options.signal);
    if (!loaded.ok)
      throw new Error(`the analysis helpers did not load: ${loaded.error ?? loaded.status}`);
    const described = await run(
      client,
      session,
      `_pymcp_describe(${pyString(`/workspace/${target.file}`)}, ${target.dotted === null ? 'None' : pyString(target.dotted)})`,
      60,
      options.signal,
    );
    if (!described.ok) {
      report.load_error = described.error ?? described.status;
      return report;
    }
    const info = described.value as Describe;
    report.doctests = info.doctests;
    if (report.structure.functions.length === 0) {
      report.structure.functions = info.functions.map((f) => ({
        name: f.name,
        line: null,
        signature: f.signature,
        doc: f.doc,
      }));
    }
    // pylsp leaves the signature out of hovers whose docstring it renders as Markdown.
    for (const fn of report.structure.functions) {
      fn.signature ??= info.functions.find((f) => f.name === fn.name)?.signature ?? null;
    }
    const declared = info.declared;
    if (declared === null || !declared.has_input || declared.implementations.length === 0) {
      notes.push(
        'The file declares no ANALYSIS (implementations, input, sizes), so only structure, diagnostics and doctests were checked.',
      );
      return report;
    }
    report.declared = true;

    progress('cross-checking implementations against the reference');
    const small = declared.sizes.filter((n) => n <= CROSSCHECK_MAX_N);
    const checkSizes = small.length > 0 ? small : declared.sizes.slice(0, 3);
    const correctness: NonNullable<Report['correctness']> = {
      reference: declared.reference,
      implementations: [],
    };
    const hung = new Set<string>();
    for (const name of declared.implementations) {
      // One call per implementation: one that never returns costs only its own timeout.
      const check = await run(
        client,
        session,
        `_pymcp_crosscheck(${pyString(name)}, ${JSON.stringify(checkSizes)})`,
        CROSSCHECK_TIMEOUT_SECONDS,
        options.signal,
      );
      if (check.ok) {
        const value = check.value as {
          agreed: number;
          failure: { n: number; input: string; expected: string; got: string } | null;
        };
        correctness.implementations.push({ name, agreed: value.agreed, failure: value.failure });
      } else {
        if (check.status === 'timed_out' || check.status === 'killed') hung.add(name);
        correctness.implementations.push({
          name,
          agreed: 0,
          failure: {
            n: checkSizes[0] ?? 0,
            input: '(small inputs)',
            expected: 'a result',
            got: describeFailure(check),
          },
        });
      }
    }
    report.correctness = correctness;

    for (const [index, name] of declared.implementations.entries()) {
      if (hung.has(name)) {
        report.complexity.push({
          name,
          points: [],
          stopped: 'not measured: it did not finish on small inputs',
          fit: null,
        });
        continue;
      }
      progress(`measuring ${name} (${index + 1}/${declared.implementations.length})`);
      report.complexity.push(await measure(client, session, name, declared.sizes, options));
    }
    return report;
  } catch (error) {
    notes.push(`The analysis stopped early: ${errorMessage(error)}`);
    return report;
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
  sizes: readonly number[],
  options: AnalyzeOptions,
): Promise<ComplexityEntry> {
  const budget = options.budgetSeconds;
  const result = await run(
    client,
    session,
    `_pymcp_measure(${pyString(name)}, ${JSON.stringify(sizes)}, ${budget})`,
    Math.ceil(budget * 3 + 15),
    options.signal,
  );
  if (!result.ok) {
    return {
      name,
      points: [],
      stopped: `measuring failed: ${(result.error ?? result.status).slice(0, 300)}`,
      fit: null,
    };
  }
  const value = result.value as {
    points: Array<{ n: number; seconds: number }>;
    stopped: string | null;
  };
  const points = value.points.map((p) => ({ n: p.n, seconds: p.seconds }));
  const fit = fitGrowth(points);
  return {
    name,
    points,
    stopped: value.stopped,
    fit:
      fit === null
        ? null
        : {
            class: fit.best.growth,
            rms_error: round(fit.best.rmsError),
            runner_up: fit.runnerUp?.growth ?? null,
            runner_up_rms_error: fit.runnerUp ? round(fit.runnerUp.rmsError) : null,
            confidence: fit.confidence,
            base: fit.best.base === undefined ? null : round(fit.best.base),
          },
  };
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

function describeFailure(result: RunValue): string {
  if (result.status === 'timed_out') return `did not finish within ${CROSSCHECK_TIMEOUT_SECONDS} s`;
  const last = (result.error ?? result.status).trim().split('\n').pop() ?? '';
  return last.slice(0, 300);
}

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

function pyString(value: string): string {
  return JSON.stringify(value);
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
