/**
 * Language-server tools on a real-repository-shaped workspace: first answer after start and
 * warm latency for every lsp_* tool (and list_packages), through the built CLI and the real SDK
 * Client over stdio, beside the same tools on a tiny workspace from the same generator, in the
 * same run.
 *
 *   npm run build && node dist/bench/lsp-repo.bench.js [pyright|pylsp ...]
 *
 * Per server: 1 first answer, a fresh server per tool and workspace; 2 warm calls, both
 * workspaces' servers up at once, calls interleaved. Progress goes to stderr; tables to stdout.
 */
import { rm } from 'node:fs/promises';
import { availableParallelism, release } from 'node:os';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { launch, shutdown, shutdownAll, type BenchServer } from './mcp-server.js';
import { descendants, waitGone } from './processes.js';
import { loadAverage, reportEnd, runBench } from './report.js';
import {
  createRepoWorkspace,
  REPO_SHAPE,
  TINY_SHAPE,
  type RepoWorkspace,
  type Spot,
} from './repo-workspace.js';
import { progress } from './settings.js';
import { ms, renderTable, summarize } from './stats.js';

type Kind = 'pyright' | 'pylsp';

const WARMUP = 3;
/** Warm calls per tool and workspace, unless the tool's time budget runs out first. */
const WARM_SAMPLES = 30;
const MIN_WARM_SAMPLES = 5;
const WARM_BUDGET_MS = 6000;
/** Repeats of a first call whose answer says it is not complete yet (known: false). */
const MAX_FIRST_CALLS = 5;

interface Answer {
  /** What the answer holds, as printed: "61", "2 errors / 322 files". */
  value: string;
  /** It holds what a correct answer holds (or there is nothing to compare with). */
  ok: boolean;
  /** false when the tool said part of the answer is not known yet. */
  complete: boolean;
}

interface ToolCase {
  tool: string;
  args: (w: RepoWorkspace) => Record<string, unknown>;
  expected: (w: RepoWorkspace, kind: Kind) => string;
  answer: (s: Structured, w: RepoWorkspace, kind: Kind) => Answer;
  /** Servers that do not offer it: an lsp_unsupported error is the right answer there. */
  unsupportedBy?: Kind;
}

/** The structured content fields the cases read (each tool has some of them). */
interface Structured {
  found?: boolean;
  known?: boolean;
  total?: number;
  definitions?: { file: string }[];
  signatures?: unknown[];
  files?: string[];
  files_checked?: number;
  reused?: boolean;
  counts?: { error: number };
  environment?: { venv: string | null };
}

/** A usage addressed as a model would: file + line + the name written there. */
const at = (s: Spot): Record<string, unknown> => ({ file: s.file, line: s.line, symbol: s.symbol });
const exact = (value: number, expected: number, complete = true): Answer => ({
  value: String(value),
  ok: value === expected,
  complete,
});
const any = (value: number): Answer => ({ value: String(value), ok: value > 0, complete: true });

/** pyright reports both problems of broken.py; pyflakes (pylsp) only the undefined name. */
const brokenErrors = (kind: Kind): number => (kind === 'pyright' ? 2 : 1);

const CASES: ToolCase[] = [
  {
    tool: 'lsp_diagnostics',
    args: (w) => ({ file: w.brokenFile }),
    expected: (_w, kind) => String(brokenErrors(kind)),
    answer: (s, _w, kind) => exact(s.total ?? 0, brokenErrors(kind), s.known === true),
  },
  {
    tool: 'lsp_check_project',
    args: () => ({ severity: 'error' }),
    expected: (w, kind) => `${brokenErrors(kind)} err / ${w.pythonFiles} files`,
    answer: (s, w, kind) => ({
      value: `${s.counts?.error ?? 0} err / ${s.files_checked ?? 0} files${s.reused === true ? ' (reused)' : ''}`,
      ok: s.counts?.error === brokenErrors(kind) && s.files_checked === w.pythonFiles,
      complete: true,
    }),
  },
  {
    tool: 'lsp_hover',
    args: (w) => at(w.ledgerCall),
    expected: () => 'found',
    answer: (s) => ({
      value: s.found === true ? 'found' : 'none',
      ok: s.found === true,
      complete: true,
    }),
  },
  {
    tool: 'lsp_definition',
    args: (w) => at(w.dependencyCall),
    expected: () => '1 in .venv',
    answer: (s) => {
      const defs = s.definitions ?? [];
      const inVenv = defs.every((d) => d.file.includes('.venv/') && d.file.includes('tinydep'));
      return {
        value: `${defs.length}${inVenv && defs.length > 0 ? ' in .venv' : ''}`,
        ok: defs.length === 1 && inVenv,
        complete: true,
      };
    },
  },
  {
    tool: 'lsp_references',
    args: (w) => ({ file: w.ledgerFile, symbol: 'Ledger', limit: 500 }),
    expected: (w) => String(w.expected.ledgerReferences),
    answer: (s, w) => exact(s.total ?? 0, w.expected.ledgerReferences),
  },
  {
    tool: 'lsp_completions',
    args: (w) => ({ file: w.ledgerDot.file, line: w.ledgerDot.line, column: w.ledgerDot.column }),
    expected: () => '>0',
    answer: (s) => any(s.total ?? 0),
  },
  {
    tool: 'lsp_signature_help',
    args: (w) => ({
      file: w.helperCall.file,
      line: w.helperCall.line,
      column: w.helperCall.column,
    }),
    expected: () => '1',
    answer: (s) => exact(s.signatures?.length ?? 0, 1),
  },
  {
    tool: 'lsp_document_symbols',
    args: (w) => ({ file: w.ledgerModule }),
    expected: () => '>0',
    answer: (s) => any(s.total ?? 0),
  },
  {
    tool: 'lsp_workspace_symbols',
    args: () => ({ query: 'Widget', limit: 500 }),
    expected: (w, kind) => (kind === 'pylsp' ? 'unsupported' : String(w.expected.widgetClasses)),
    answer: (s, w) => exact(s.total ?? 0, w.expected.widgetClasses, s.known !== false),
    unsupportedBy: 'pylsp',
  },
  {
    tool: 'lsp_rename',
    args: (w) => ({ file: w.helperFile, symbol: 'fmt_amount', new_name: 'format_amount' }),
    expected: (w) => `${w.expected.helperFiles} files`,
    answer: (s, w) => ({
      value: `${s.files?.length ?? 0} files`,
      ok: s.files?.length === w.expected.helperFiles,
      complete: true,
    }),
  },
  {
    tool: 'list_packages',
    args: () => ({}),
    expected: () => '1 (.venv)',
    answer: (s) => ({
      value: `${s.total ?? 0}${s.environment?.venv?.endsWith('/.venv') === true ? ' (.venv)' : ''}`,
      ok: s.total === 1 && s.environment?.venv?.endsWith('/.venv') === true,
      complete: true,
    }),
  },
];

/** A tool failure (isError) is a result to print, not a harness failure. */
function answerOf(c: ToolCase, result: CallToolResult, w: RepoWorkspace, kind: Kind): Answer {
  if (result.isError === true) {
    const first = result.content[0];
    const text = first?.type === 'text' ? first.text : '(no text)';
    if (c.unsupportedBy === kind && text.includes('lsp_unsupported'))
      return { value: 'unsupported', ok: true, complete: true };
    return { value: `error: ${text.split('\n')[0]!.slice(0, 40)}`, ok: false, complete: false };
  }
  return c.answer(result.structuredContent ?? {}, w, kind);
}

const shown = (a: Answer): string =>
  `${a.value}${a.ok ? '' : ' !'}${a.complete ? '' : ' (partial)'}`;

// ---------------------------------------------------------------------------------------------
// 1. First answer: a fresh server per tool and workspace.

interface First {
  spawnToAnswer: number;
  callToAnswer: number;
  answer: Answer;
  /** Calls until the answer was complete, and spawn -> that answer (when the first was not). */
  calls: number;
  spawnToComplete: number;
}

async function firstAnswer(kind: Kind, w: RepoWorkspace, c: ToolCase): Promise<First> {
  const server = await launch(['--workspace', w.dir, '--lsp', kind]);
  // Like a real client: list the tools, so the SDK validates structuredContent.
  await server.client.listTools();
  const called = performance.now();
  let answer = answerOf(c, await server.call(c.tool, c.args(w)), w, kind);
  const answered = performance.now();
  let calls = 1;
  while (!answer.complete && calls < MAX_FIRST_CALLS && !answer.value.startsWith('error')) {
    calls += 1;
    answer = answerOf(c, await server.call(c.tool, c.args(w)), w, kind);
  }
  const first: First = {
    spawnToAnswer: answered - server.spawnedAt,
    callToAnswer: answered - called,
    answer,
    calls,
    spawnToComplete: performance.now() - server.spawnedAt,
  };
  await shutdown(server);
  return first;
}

async function firstTable(kind: Kind, tiny: RepoWorkspace, repo: RepoWorkspace): Promise<void> {
  const rows: string[][] = [];
  for (const c of CASES) {
    progress(`${kind}: first ${c.tool} (fresh servers)`);
    const t = await firstAnswer(kind, tiny, c);
    const r = await firstAnswer(kind, repo, c);
    rows.push([
      c.tool,
      ms(t.spawnToAnswer),
      ms(t.callToAnswer),
      shown(t.answer),
      ms(r.spawnToAnswer),
      ms(r.callToAnswer),
      r.calls > 1 ? `${ms(r.spawnToComplete)} (${r.calls} calls)` : '',
      shown(r.answer),
      c.expected(repo, kind),
    ]);
  }
  console.log(
    renderTable(
      `1${kind === 'pyright' ? 'a' : 'b'}. First answer, ${kind}: a fresh server per tool and workspace`,
      [
        'tool',
        'tiny spawn->answer',
        'tiny call->answer',
        'tiny items',
        'repo spawn->answer',
        'repo call->answer',
        'repo complete',
        'repo items',
        'repo expected',
      ],
      rows,
      [
        'spawn->answer: from spawning bin/isolated-pymcp serve (the language server starts in the',
        '  background after MCP initialize) until the first call of the tool answered;',
        '  call->answer: that call alone (sent right after initialize and tools/list).',
        'repo complete: when the first answer said part was not known yet, spawn -> the first',
        `  complete answer (the call is repeated, at most ${MAX_FIRST_CALLS} calls).`,
        'items: what the answer held; "!" marks one that differs from what a correct answer holds',
        '  (checked on both workspaces; expected column: the repo), "(partial)" one that said it is',
        '  not complete. Fixed order of tools; each on servers of its own.',
      ],
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Warm calls: one server per workspace, both up, calls interleaved.

interface Warm {
  times: number[];
  answer: Answer | null;
}

async function warmTable(kind: Kind, tiny: RepoWorkspace, repo: RepoWorkspace): Promise<void> {
  progress(`${kind}: warm phase, one server per workspace`);
  const servers: [RepoWorkspace, BenchServer][] = [
    [tiny, await launch(['--workspace', tiny.dir, '--lsp', kind])],
    [repo, await launch(['--workspace', repo.dir, '--lsp', kind])],
  ];
  for (const [w, server] of servers) {
    await server.client.listTools();
    // Until the server knows the broken file's problems: started and analysed.
    for (let i = 0; i < MAX_FIRST_CALLS; i++) {
      const s = (await server.call('lsp_diagnostics', { file: w.brokenFile })).structuredContent as
        Structured | undefined;
      if (s?.known === true) break;
    }
  }
  const rows: string[][] = [];
  for (const c of CASES) {
    progress(`${kind}: warm ${c.tool}`);
    const runs: Warm[] = servers.map(() => ({ times: [], answer: null }));
    const call = async (k: number): Promise<number> => {
      const [w, server] = servers[k]!;
      const started = performance.now();
      const result = await server.call(c.tool, c.args(w));
      const elapsed = performance.now() - started;
      runs[k]!.answer = answerOf(c, result, w, kind);
      return elapsed;
    };
    for (let i = 0; i < WARMUP; i++) for (let k = 0; k < servers.length; k++) await call(k);
    const began = performance.now();
    for (let i = 0; i < WARM_SAMPLES; i++) {
      if (i >= MIN_WARM_SAMPLES && performance.now() - began > WARM_BUDGET_MS) break;
      // Rotating order, so both see the same machine noise.
      for (let j = 0; j < servers.length; j++) {
        const k = (i + j) % servers.length;
        runs[k]!.times.push(await call(k));
      }
    }
    const [t, r] = runs.map((run) => ({ ...run, s: summarize(run.times) }));
    rows.push([
      c.tool,
      String(t!.s.n),
      ms(t!.s.p50),
      ms(t!.s.p99),
      ms(r!.s.p50),
      ms(r!.s.p99),
      `${(r!.s.p50 / t!.s.p50).toFixed(1)}x`,
      t!.answer === null ? '-' : shown(t!.answer),
      r!.answer === null ? '-' : shown(r!.answer),
    ]);
  }
  for (const [, server] of servers) await shutdown(server);
  console.log(
    renderTable(
      `2${kind === 'pyright' ? 'a' : 'b'}. Warm calls, ${kind}: the same tools on the tiny and the repo workspace`,
      [
        'tool',
        'n',
        'tiny p50',
        'tiny p99',
        'repo p50',
        'repo p99',
        'repo/tiny',
        'tiny items',
        'repo items',
      ],
      rows,
      [
        `Both servers started first and asked lsp_diagnostics until known; then per tool ${WARMUP} warm-up`,
        `  calls each, then up to ${WARM_SAMPLES} rounds (at least ${MIN_WARM_SAMPLES}, until ${WARM_BUDGET_MS / 1000} s per tool), one call to`,
        '  each server per round in rotating order. Tools in the order listed, on the same servers.',
        'items: the last answer (same marks as table 1).',
      ],
    ),
  );
}

// ---------------------------------------------------------------------------------------------

function kindsFromArgv(): Kind[] {
  const asked = process.argv.slice(2);
  if (asked.length === 0) return ['pyright', 'pylsp'];
  for (const a of asked)
    if (a !== 'pyright' && a !== 'pylsp') throw new Error(`unknown language server: ${a}`);
  return asked as Kind[];
}

async function main(): Promise<void> {
  const began = performance.now();
  const kinds = kindsFromArgv();
  progress('generating the workspaces');
  const tiny = await createRepoWorkspace(TINY_SHAPE, 'tiny');
  const repo = await createRepoWorkspace(REPO_SHAPE, 'repo').catch(async (error: unknown) => {
    await rm(tiny.dir, { recursive: true, force: true });
    throw error;
  });
  let left: number[] = [];
  try {
    console.log(
      [
        'isolated-pymcp language-server tools on a real-repository-shaped workspace',
        `node ${process.version}, ${availableParallelism()} cpus, kernel ${release()}, uid ${process.getuid?.() ?? '?'}`,
        `repo: ${repo.pythonFiles} Python files, ${repo.lines} lines (src/shopkit in 12 areas, tests/ outside`,
        '  pyright include = ["src"]), .venv with one dependency every module imports',
        `tiny (baseline, same generator): ${tiny.pythonFiles} Python files, ${tiny.lines} lines, same .venv`,
        `load average at start: ${loadAverage()}`,
        '',
      ].join('\n'),
    );
    for (const kind of kinds) {
      await firstTable(kind, tiny, repo);
      await warmTable(kind, tiny, repo);
    }
  } finally {
    const pids = descendants(process.pid);
    left = [...(await shutdownAll()), ...(await waitGone(pids))];
    await rm(tiny.dir, { recursive: true, force: true });
    await rm(repo.dir, { recursive: true, force: true });
    reportEnd(began, left);
  }
}

runBench(main);
