/**
 * Sizing for deployment (docs/deploy.md, deploy/kubernetes/): memory of a warm pooled sandbox,
 * of one MCP session (the server's growth plus the session's own sandbox), and of the language
 * server on a tiny and on a ~300-file workspace. The built CLI, driven by the real SDK Client.
 *
 *   npm run build && node dist/bench/sizing.js
 *
 * Progress goes to stderr; the table to stdout.
 */
import { rm } from 'node:fs/promises';
import { availableParallelism, release } from 'node:os';
import { createSession, launch, shutdown, shutdownAll, type BenchServer } from './mcp-server.js';
import { settledTrees, type ChildTree } from './memory.js';
import { processMemory, type ProcessMemory } from './processes.js';
import { loadAverage, reportEnd, runBench } from './report.js';
import { createRepoWorkspace, REPO_SHAPE, TINY_SHAPE } from './repo-workspace.js';
import { POOL_SIZE, progress } from './settings.js';
import { mib, renderTable } from './stats.js';

/** Sessions opened at once: their average is the per-session figure. */
const SESSIONS = 4;
/** What a "rich" session has imported: the packages the sandbox offers for tables and plots. */
const RICH_IMPORTS = 'import numpy, pandas, matplotlib.pyplot as plt\nplt.plot([1, 2]); x = 1';

interface Totals {
  count: number;
  rssKib: number;
  pssKib: number;
}

function total(list: readonly ProcessMemory[]): Totals {
  return {
    count: list.length,
    rssKib: list.reduce((s, m) => s + m.rssKib, 0),
    pssKib: list.reduce((s, m) => s + m.pssKib, 0),
  };
}

function own(server: BenchServer): ProcessMemory {
  const m = processMemory(server.pid);
  if (m === null) throw new Error('the server is gone');
  return m;
}

const row = (name: string, t: Totals, divisor = 1): string[] => [
  name,
  t.count === 0 ? '-' : String(t.count / divisor),
  mib(t.rssKib / divisor),
  mib(t.pssKib / divisor),
];

/** Pool and sessions, no language server: sandboxes alone. */
async function sandboxRows(): Promise<string[][]> {
  progress('sandboxes: pool warm, then sessions');
  const server = await launch(['--lsp', 'off', '--no-workspace']);
  await server.run('x = 1+1');
  const idle = await settledTrees(server, POOL_SIZE);
  const pooled = idle.filter((t) => t.isSandbox).flatMap((t) => t.processes);
  const serverIdle = own(server);

  const sessions: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const id = await createSession(server);
    await server.run('x = 1+1', { session_id: id });
    sessions.push(id);
  }
  const plain = await settledTrees(server, POOL_SIZE + SESSIONS);
  const serverPlain = own(server);
  for (const id of sessions) await server.run(RICH_IMPORTS, { session_id: id });
  const rich = await settledTrees(server, POOL_SIZE + SESSIONS);
  const serverRich = own(server);
  for (const id of sessions) await server.call('close_session', { session_id: id });
  await shutdown(server);

  /** The sandboxes that are not the pool's: the pool refills to POOL_SIZE, the rest are sessions'. */
  const sessionSandboxes = (all: ChildTree[]): Totals => {
    const sandboxes = all.filter((t) => t.isSandbox).map((t) => total(t.processes));
    const sum = sandboxes.reduce(
      (s, t) => ({
        count: s.count + t.count,
        rssKib: s.rssKib + t.rssKib,
        pssKib: s.pssKib + t.pssKib,
      }),
      { count: 0, rssKib: 0, pssKib: 0 },
    );
    const pool = total(pooled);
    return {
      count: sum.count - pool.count,
      rssKib: sum.rssKib - pool.rssKib,
      pssKib: sum.pssKib - pool.pssKib,
    };
  };
  /** Not a process of its own: the server's node process grew. */
  const growth = (after: ProcessMemory): Totals => ({
    count: 0,
    rssKib: after.rssKib - serverIdle.rssKib,
    pssKib: after.pssKib - serverIdle.pssKib,
  });
  const perSession = (all: ChildTree[], after: ProcessMemory): Totals => {
    const s = sessionSandboxes(all);
    const g = growth(after);
    return { count: s.count, rssKib: s.rssKib + g.rssKib, pssKib: s.pssKib + g.pssKib };
  };
  return [
    row('server (node), --lsp off, pool warm', total([serverIdle])),
    row(`warm pooled sandbox (average of ${POOL_SIZE})`, total(pooled), POOL_SIZE),
    row('session sandbox, after x = 1+1', sessionSandboxes(plain), SESSIONS),
    row('  + server growth per session', growth(serverPlain), SESSIONS),
    row('  = per session', perSession(plain, serverPlain), SESSIONS),
    row('session sandbox, numpy+pandas+pyplot', sessionSandboxes(rich), SESSIONS),
    row('  + server growth per session', growth(serverRich), SESSIONS),
    row('  = per session', perSession(rich, serverRich), SESSIONS),
  ];
}

/** The language server's tree (children that are not sandboxes) once a whole-project check ran. */
async function languageServerRow(label: string, files: number, dir: string): Promise<string[][]> {
  progress(`pyright on ${label} (${files} Python files)`);
  const server = await launch(['--workspace', dir, '--lsp', 'pyright']);
  const check = await server.call('lsp_check_project', { severity: 'error' });
  if (check.isError === true) throw new Error(`lsp_check_project failed on ${label}`);
  const all = await settledTrees(server, POOL_SIZE);
  const lsp = all.filter((t) => !t.isSandbox).flatMap((t) => t.processes);
  const serverNow = own(server);
  await shutdown(server);
  return [
    row(`language server (pyright), ${label}: ${files} files`, total(lsp)),
    row(`  server (node) beside it`, total([serverNow])),
  ];
}

async function main(): Promise<void> {
  const began = performance.now();
  console.log(
    `# isolated-pymcp sizing: ${availableParallelism()} cpus, Linux ${release()}, node ${process.version}, load ${loadAverage()}`,
  );
  const tiny = await createRepoWorkspace(TINY_SHAPE, 'sizing-tiny');
  const repo = await createRepoWorkspace(REPO_SHAPE, 'sizing-repo');
  try {
    const rows = [
      ...(await sandboxRows()),
      ...(await languageServerRow('tiny workspace', tiny.pythonFiles, tiny.dir)),
      ...(await languageServerRow('repository-shaped workspace', repo.pythonFiles, repo.dir)),
    ];
    console.log(
      renderTable(
        'Sizing: memory of the parts of one server',
        ['part', 'processes', 'RSS', 'PSS'],
        rows,
        [
          'A sandbox is bwrap (outside) and python3 running the worker as pid 1 (inside).',
          `Per session: ${SESSIONS} sessions open at once, averaged; the pool refills beside them.`,
          'Server growth: the node process after the sessions minus before (RSS and PSS).',
          'PSS divides shared pages (libpython, numpy) among the processes that map them.',
          'Language server: every process the server started that is not a sandbox.',
        ],
      ),
    );
  } finally {
    await rm(tiny.dir, { recursive: true, force: true });
    await rm(repo.dir, { recursive: true, force: true });
  }
  reportEnd(began, await shutdownAll());
}

runBench(main);
