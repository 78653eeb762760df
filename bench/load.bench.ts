/**
 * Load benchmark (issue 8): 32 HTTP clients on one `serve --http` process, each making 20 calls
 * one after the other, while one stdio connection to a second server process makes its 20 calls
 * all at once. The mix is deterministic and 60 % benign (a run that prints a per-call nonce, an
 * lsp_hover); the rest are an infinite loop, a memory bomb and an output flood. Beside it, in
 * the same run: the same benign calls from one client, one after the other, on the idle server.
 *
 *   npm run build && node dist/bench/load.bench.js
 *
 * Two configurations: the defaults, then --max-concurrent 32. Each prints benign success,
 * nonce isolation and latency, hostile outcomes by status, peak RSS (sampled from /proc every
 * 100 ms) and the processes left 5 s after the servers stopped; a goals table closes the run.
 * Goals missed are printed, not failed: the exit status is non-zero only when the harness
 * itself fails (or cannot clean up after itself). Progress goes to stderr; tables to stdout.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, release, tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  DESCRIBE_KIND,
  GOALS,
  LOAD,
  MIX,
  callOnce,
  isBenign,
  makeCall,
  planCalls,
  planKinds,
  type Call,
  type CallOptions,
  type Outcome,
} from './load-plan.js';
import {
  TreeSampler,
  connectHttp,
  createWorkspace,
  hwmKib,
  killAll,
  processesNaming,
  startHttpServer,
  startTime,
  stillAlive,
  type HttpClient,
  type HttpServerProcess,
} from './load-servers.js';
import {
  benignTable,
  goalsTable,
  hostileTable,
  memoryTable,
  processTable,
  type ConfigResult,
  type Group,
  type Leftover,
} from './load-tables.js';
import { startServer, type BenchServer } from './mcp-server.js';
import { descendants, sleep, waitGone } from './processes.js';
import { loadAverage, reportEnd, runBench } from './report.js';
import { progress } from './settings.js';
import { mib, ms } from './stats.js';

const CONFIGS = [
  { name: 'A', label: 'defaults (--max-concurrent 8, --pool-size 2)', args: [] as string[] },
  { name: 'B', label: '--max-concurrent 16', args: ['--max-concurrent', '16'] },
];

/** Every server started, so that the finally block can kill whatever is still running. */
const started = {
  http: [] as HttpServerProcess[],
  stdio: [] as BenchServer[],
  /** Each server's workspace: its sandboxes' command lines name it, and nothing else's do. */
  workspaces: [] as string[],
};

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const began = performance.now();
  const base = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-load-')));
  // The sandboxes (uid 65534 under root) reach the workspaces below it; the token stays 600.
  await chmod(base, 0o711);
  const token = randomBytes(24).toString('base64url');
  const tokenFile = path.join(base, 'token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  let left: number[] = [];
  try {
    const perClient = Object.entries(MIX)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ');
    console.log(
      [
        'isolated-pymcp load benchmark',
        `node ${process.version}, ${availableParallelism()} cpus, kernel ${release()}, uid ${process.getuid?.() ?? '?'}`,
        `load average at start: ${loadAverage()}`,
        `${LOAD.httpClients} HTTP clients (one serve --http process) x 20 calls in sequence, and 1 stdio`,
        `connection (a second server process) x 20 calls in parallel; per client: ${perClient}.`,
        ...Object.entries(DESCRIBE_KIND).map(([kind, text]) => `  ${kind.padEnd(6)} ${text}`),
        `per-call timeout ${LOAD.callTimeoutMs / 1000} s; load phase cut at ${LOAD.phaseDeadlineMs / 1000} s.`,
        '',
      ].join('\n'),
    );
    const results: ConfigResult[] = [];
    for (const config of CONFIGS) results.push(await runConfig(config, base, tokenFile, token));
    goalsTable(results);
  } finally {
    // After a harness failure: SIGKILL the servers (their sandboxes die with them), then any
    // process still naming a workspace. Only processes known to be ours are signalled.
    for (const server of started.http) server.kill();
    for (const server of started.stdio) await server.close().catch(() => undefined);
    await sleep(200);
    const stray = started.workspaces.flatMap(processesNaming);
    killAll(stray);
    const servers = [...started.http, ...started.stdio].map((server) => server.pid);
    left = await waitGone([...servers, ...stray], 2000);
    await rm(base, { recursive: true, force: true });
    reportEnd(began, left);
  }
}

async function runConfig(
  config: (typeof CONFIGS)[number],
  base: string,
  tokenFile: string,
  token: string,
): Promise<ConfigResult> {
  const title = `${config.name}. ${config.label}`;
  progress(`${title}: starting the servers`);
  const httpWorkspace = await createWorkspace(path.join(base, `${config.name}-http`));
  const stdioWorkspace = await createWorkspace(path.join(base, `${config.name}-stdio`));
  started.workspaces.push(httpWorkspace, stdioWorkspace);
  const http = await startHttpServer(
    ['--token-file', tokenFile, '--workspace', httpWorkspace, ...config.args],
    LOAD.startTimeoutMs,
  );
  started.http.push(http);
  const stdio = await startServer(['--workspace', stdioWorkspace, ...config.args]);
  started.stdio.push(stdio);
  const identity = { http: identify(http.pid), stdio: identify(stdio.pid) };
  const sampler = new TreeSampler([http.pid, stdio.pid]);
  sampler.start(LOAD.sampleMs);

  const clients: HttpClient[] = await Promise.all(
    Array.from({ length: LOAD.httpClients }, () => connectHttp(http.url, token)),
  );
  // Like real clients: list the tools, so the SDK validates structuredContent.
  await Promise.all([...clients.map((c) => c.client.listTools()), stdio.client.listTools()]);
  progress(`${title}: warming up (language server start, first run) on both servers`);
  const [httpWarm, stdioWarm] = await Promise.all([
    warmUp(clients[0]!.client),
    warmUp(stdio.client),
  ]);

  progress(`${title}: baseline, one client, benign calls in sequence`);
  const options: CallOptions = { timeoutMs: LOAD.callTimeoutMs, signal: manyListeners() };
  const baselineCalls = Array.from({ length: LOAD.baselinePlans }, (_, i) =>
    planKinds(i).flatMap((kind, j) => (isBenign(kind) ? [makeCall(kind, j)] : [])),
  ).flat();
  const baseline: Outcome[] = [];
  for (const call of baselineCalls)
    baseline.push(await callOnce(clients[0]!.client, call, options));

  progress(`${title}: load, ${LOAD.httpClients} HTTP clients + 1 stdio connection`);
  const loadOptions: CallOptions = {
    timeoutMs: LOAD.callTimeoutMs,
    signal: manyListeners(AbortSignal.timeout(LOAD.phaseDeadlineMs)),
  };
  const phaseStart = performance.now();
  const [httpOutcomes, stdioOutcomes] = await Promise.all([
    Promise.all(clients.map((c, i) => inSequence(c.client, planCalls(i), loadOptions))).then(
      (perClient) => perClient.flat(),
    ),
    Promise.all(
      planCalls(LOAD.httpClients).map((call) => callOnce(stdio.client, call, loadOptions)),
    ),
  ]);
  const phaseMs = performance.now() - phaseStart;
  sampler.sample();
  const hwm = { http: hwmKib(http.pid) ?? 0, stdio: hwmKib(stdio.pid) ?? 0 };

  progress(`${title}: disconnecting the clients, stopping the servers`);
  await Promise.all(clients.map((c) => c.disconnect(5000)));
  await sleep(1000);
  sampler.sample();
  const httpAfterClients = descendants(http.pid).length;
  sampler.stop();
  const [httpStop, stdioStop] = await Promise.all([http.stop(LOAD.stopGraceMs), stopStdio(stdio)]);
  await sleep(LOAD.settleMs);
  const leftovers = {
    http: leftoverOf(identity.http, sampler.peaks.get(http.pid)!.seen, httpWorkspace),
    stdio: leftoverOf(identity.stdio, sampler.peaks.get(stdio.pid)!.seen, stdioWorkspace),
  };

  console.log(title);
  console.log(
    `load phase ${(phaseMs / 1000).toFixed(1)} s, ${httpOutcomes.length + stdioOutcomes.length} calls; ` +
      `warm-up (first hover found, first run) HTTP ${ms(httpWarm)}, stdio ${ms(stdioWarm)}; ` +
      `load average ${loadAverage()}\n`,
  );
  const groups: Record<Group, Outcome[]> = {
    baseline,
    http: httpOutcomes,
    stdio: stdioOutcomes,
  };
  const benign = benignTable(config.name, groups);
  hostileTable(config.name, groups);
  const peaks = memoryTable(config.name, sampler, { http: http.pid, stdio: stdio.pid }, hwm);
  processTable(config.name, httpAfterClients, { http: httpStop, stdio: stdioStop }, leftovers);
  const left = [...leftovers.http.total, ...leftovers.stdio.total];
  killAll(left);

  const goal = (text: string, measured: string, met: boolean) => ({ goal: text, measured, met });
  return {
    name: config.name,
    label: config.label,
    goals: [
      goal(
        `benign success rate = ${GOALS.successPct} %`,
        `${benign.successPct.toFixed(1)} %`,
        benign.successPct >= GOALS.successPct,
      ),
      goal(
        `nonce violations = ${GOALS.violations}`,
        String(benign.violations),
        benign.violations <= GOALS.violations,
      ),
      goal(
        `benign exec p99 <= ${GOALS.execP99Ms / 1000} s`,
        ms(benign.execP99),
        benign.execP99 <= GOALS.execP99Ms,
      ),
      goal(
        `hover p99 <= ${GOALS.hoverP99Ms / 1000} s`,
        ms(benign.hoverP99),
        benign.hoverP99 <= GOALS.hoverP99Ms,
      ),
      goal(
        `server RSS < ${mib(GOALS.serverRssKib)} (each)`,
        `${mib(peaks.http)} / ${mib(peaks.stdio)}`,
        Math.max(peaks.http, peaks.stdio) < GOALS.serverRssKib,
      ),
      goal(
        `leftover processes = ${GOALS.leftovers}`,
        String(left.length),
        left.length <= GOALS.leftovers,
      ),
    ],
  };
}

/** A signal shared by hundreds of calls (the SDK adds a listener per request and keeps it). */
function manyListeners(signal = new AbortController().signal): AbortSignal {
  setMaxListeners(1000, signal);
  return signal;
}

/** First lsp_hover that finds its symbol (the language server has started), then one run. */
async function warmUp(client: Client): Promise<number> {
  const startedAt = performance.now();
  const signal = AbortSignal.timeout(LOAD.warmupDeadlineMs);
  const options: CallOptions = { timeoutMs: LOAD.callTimeoutMs, signal };
  for (;;) {
    const hover = await callOnce(client, makeCall('hover', 0), options);
    if (hover.ok) break;
    if (signal.aborted)
      throw new Error(`warm-up: lsp_hover never found its symbol (${hover.status})`);
    await sleep(500);
  }
  const run = await callOnce(client, makeCall('exec', 0), options);
  if (!run.ok) throw new Error(`warm-up: run_python_code answered ${run.status}`);
  return performance.now() - startedAt;
}

async function inSequence(
  client: Client,
  calls: readonly Call[],
  options: CallOptions,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const call of calls) outcomes.push(await callOnce(client, call, options));
  return outcomes;
}

/** Close the stdio connection (the SDK ends stdin, then SIGTERM, then SIGKILL) and time it. */
async function stopStdio(server: BenchServer): Promise<{ ms: number; how: string }> {
  const startedAt = performance.now();
  await server.close();
  const gone = (await waitGone([server.pid], LOAD.stopGraceMs)).length === 0;
  return {
    ms: performance.now() - startedAt,
    how: gone ? 'stdin closed, exited' : 'still running',
  };
}

/** `pid` with its start time, for stillAlive. */
function identify(pid: number): Map<number, number> {
  const start = startTime(pid);
  return new Map(start === null ? [] : [[pid, start]]);
}

/** What is left of a server (seen with its start time, like its descendants) after it stopped. */
function leftoverOf(
  server: ReadonlyMap<number, number>,
  seen: ReadonlyMap<number, number>,
  workspace: string,
): Leftover {
  const serverAlive = stillAlive(server);
  const aliveDescendants = stillAlive(seen);
  const naming = processesNaming(workspace);
  const total = [...new Set([...serverAlive, ...aliveDescendants, ...naming])];
  return { server: serverAlive.length > 0, descendants: aliveDescendants, naming, total };
}

runBench(main);
