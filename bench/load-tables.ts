/** The tables the load benchmark prints for one configuration, and the goals table. */
import { DESCRIBE_KIND, GOALS, LOAD, isBenign, type CallKind, type Outcome } from './load-plan.js';
import type { TreeSampler } from './load-servers.js';
import { mib, ms, renderTable, summarize } from './stats.js';

export type Group = 'baseline' | 'http' | 'stdio';

/** What is left of one server after it stopped. */
export interface Leftover {
  server: boolean;
  /** Descendants a sample saw, still alive. */
  descendants: number[];
  /** Processes whose arguments name the server's workspace. */
  naming: number[];
  /** The union of the three. */
  total: number[];
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

export interface ConfigResult {
  name: string;
  label: string;
  goals: Goal[];
}

const GROUP_NAMES: Record<Group, string> = {
  baseline: 'baseline: 1 HTTP client, in sequence',
  http: `HTTP: ${LOAD.httpClients} clients x 20 in sequence`,
  stdio: 'stdio: 1 connection, 20 in parallel',
};

const pct = (part: number, whole: number): string =>
  whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)} %`;

export function benignTable(
  name: string,
  groups: Record<Group, Outcome[]>,
): { successPct: number; violations: number; execP99: number; hoverP99: number } {
  const rows: string[][] = [];
  const row = (label: string, tool: string, outcomes: Outcome[]): void => {
    const ok = outcomes.filter((o) => o.ok);
    const busy = outcomes.filter((o) => o.status === 'busy').length;
    const latency = summarize(ok.map((o) => o.ms));
    rows.push([
      label,
      tool,
      String(outcomes.length),
      String(ok.length),
      String(busy),
      String(outcomes.length - ok.length - busy),
      pct(ok.length, outcomes.length),
      ok.length === 0 ? '-' : ms(latency.p50),
      ok.length === 0 ? '-' : ms(latency.p99),
      ok.length === 0 ? '-' : ms(latency.max),
    ]);
  };
  const of = (outcomes: Outcome[], kind: CallKind) => outcomes.filter((o) => o.kind === kind);
  const together = [...groups.http, ...groups.stdio];
  for (const [group, label] of Object.entries(GROUP_NAMES) as Array<[Group, string]>) {
    row(label, 'run_python_code', of(groups[group], 'exec'));
    row('', 'lsp_hover', of(groups[group], 'hover'));
  }
  row('together: HTTP + stdio', 'run_python_code', of(together, 'exec'));
  row('', 'lsp_hover', of(together, 'hover'));

  const all = [...groups.baseline, ...together];
  const foreign = all.filter((o) => o.violation === 'foreign nonce').length;
  const wrong = all.filter((o) => o.violation === 'wrong output').length;
  const benign = together.filter((o) => isBenign(o.kind));
  const otherStatuses = countBy(benign.filter((o) => !o.ok && o.status !== 'busy'));
  console.log(
    renderTable(
      `${name}1. Benign calls (latency of the answers that succeeded)`,
      ['clients', 'tool', 'n', 'ok', 'busy', 'other', 'success', 'p50', 'p99', 'max'],
      rows,
      [
        'ok: run_python_code completed and its stdout is exactly its own "nonce-<uuid>\\n";',
        '  lsp_hover found the symbol. busy: the server\'s "busy" error (no queue yet).',
        `other failures: ${otherStatuses === '' ? 'none' : otherStatuses}.`,
        `nonce isolation, every answer of the run (hostile ones too): ${foreign} with another call's`,
        `  nonce, ${wrong} completed runs whose stdout was not exactly their own nonce.`,
        'p99 of fewer than 100 answers is close to the max. Latency is measured in this process,',
        '  which drives all 33 connections on the same 2 cpus as the servers.',
      ],
    ),
  );
  const execOk = together.filter((o) => o.kind === 'exec' && o.ok).map((o) => o.ms);
  const hoverOk = together.filter((o) => o.kind === 'hover' && o.ok).map((o) => o.ms);
  return {
    successPct: benign.length === 0 ? 0 : (100 * benign.filter((o) => o.ok).length) / benign.length,
    violations: foreign + wrong,
    execP99: execOk.length === 0 ? Number.NaN : summarize(execOk).p99,
    hoverP99: hoverOk.length === 0 ? Number.NaN : summarize(hoverOk).p99,
  };
}

function countBy(outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} ${n}`).join(', ');
}

export function hostileTable(name: string, groups: Record<Group, Outcome[]>): void {
  const rows: string[][] = [];
  for (const kind of ['loop', 'memory', 'flood'] as const) {
    const http = groups.http.filter((o) => o.kind === kind);
    const stdio = groups.stdio.filter((o) => o.kind === kind);
    const statuses = [...new Set([...http, ...stdio].map((o) => o.status))].sort();
    for (const status of statuses) {
      const times = [...http, ...stdio].filter((o) => o.status === status).map((o) => o.ms);
      const s = summarize(times);
      rows.push([
        kind,
        status,
        String(http.filter((o) => o.status === status).length),
        String(stdio.filter((o) => o.status === status).length),
        ms(s.p50),
        ms(s.max),
      ]);
    }
  }
  console.log(
    renderTable(
      `${name}2. Hostile calls by outcome`,
      ['call', 'status', 'HTTP', 'stdio', 'p50', 'max'],
      rows,
      [
        `loop: ${DESCRIBE_KIND.loop}; memory: ${DESCRIBE_KIND.memory}; flood: ${DESCRIBE_KIND.flood}.`,
        'status: structuredContent.status of run_python_code, or the error code the server answered.',
      ],
    ),
  );
}

export function memoryTable(
  name: string,
  sampler: TreeSampler,
  pids: { http: number; stdio: number },
  hwm: { http: number; stdio: number },
): { http: number; stdio: number } {
  const peak = (pid: number) => sampler.peaks.get(pid)!;
  const server = (pid: number, vmHwm: number) => Math.max(peak(pid).serverKib, vmHwm);
  const row = (label: string, pid: number, vmHwm: number): string[] => [
    label,
    mib(peak(pid).serverKib),
    mib(vmHwm),
    mib(peak(pid).descendantsKib),
    String(peak(pid).descendantsCount),
    server(pid, vmHwm) < GOALS.serverRssKib ? 'met' : 'not met',
  ];
  console.log(
    renderTable(
      `${name}3. Peak memory (VmRSS sampled every ${LOAD.sampleMs} ms, ${sampler.samples} samples)`,
      [
        'server',
        'server RSS',
        'server VmHWM',
        'descendants RSS',
        'descendants',
        `server < ${mib(GOALS.serverRssKib)}`,
      ],
      [
        row('HTTP (serve --http)', pids.http, hwm.http),
        row('stdio (serve)', pids.stdio, hwm.stdio),
        ['together, servers + descendants', mib(sampler.togetherKib), '-', '-', '-', ''],
      ],
      [
        'server RSS: the node process alone; VmHWM: its peak resident set over its whole life.',
        'descendants RSS: the largest sum over every descendant in one sample (sandboxes: outer',
        '  bwrap, python3; the language server: bwrap, node) - shared pages',
        '  are counted once per process. descendants: the most alive at once.',
      ],
    ),
  );
  return { http: server(pids.http, hwm.http), stdio: server(pids.stdio, hwm.stdio) };
}

export function processTable(
  name: string,
  httpAfterClients: number,
  stops: { http: { ms: number; how: string }; stdio: { ms: number; how: string } },
  leftovers: { http: Leftover; stdio: Leftover },
): void {
  const row = (label: string, after: string, stop: { ms: number; how: string }, left: Leftover) => [
    label,
    after,
    `${stop.how}, ${ms(stop.ms)}`,
    left.server ? 'yes' : 'no',
    String(left.descendants.length),
    String(left.naming.length),
    String(left.total.length),
  ];
  const pids = [...leftovers.http.total, ...leftovers.stdio.total];
  console.log(
    renderTable(
      `${name}4. Processes ${LOAD.settleMs / 1000} s after the clients left and the servers were stopped`,
      [
        'server',
        'descendants after clients left',
        'stop',
        'server alive',
        'descendants alive',
        'naming workspace',
        'leftover',
      ],
      [
        row('HTTP (serve --http)', String(httpAfterClients), stops.http, leftovers.http),
        row('stdio (serve)', '-', stops.stdio, leftovers.stdio),
      ],
      [
        'descendants after clients left: 1 s after every HTTP client sent DELETE and closed (the',
        '  idle pool and the language server are expected to stay until the server stops).',
        'descendants alive: any descendant a sample ever saw that is still alive (not a zombie).',
        "naming workspace: processes whose arguments include this server's workspace directory",
        '  (the outer bwrap of every sandbox and of the language server, and its pid-1 bwrap).',
        `leftover: the union, goal 0${pids.length === 0 ? '' : `; killed now: ${pids.join(' ')}`}.`,
      ],
    ),
  );
}

export function goalsTable(results: readonly ConfigResult[]): void {
  const first = results[0];
  if (first === undefined) return;
  const rows = first.goals.map(({ goal }, i) => [
    goal,
    ...results.flatMap((r) => {
      const { measured, met } = r.goals[i]!;
      return [measured, met ? 'met' : 'not met'];
    }),
  ]);
  console.log(
    renderTable(
      'Goals (HTTP + stdio together; a missed goal is reported, not failed)',
      ['goal', ...results.flatMap((r) => [r.name, ''])],
      rows,
      [
        ...results.map((r) => `${r.name}: ${r.label}`),
        'success: benign answers that were ok / benign calls (busy answers count as failures).',
        'p99: over the benign answers that were ok only, so a run refused "busy" adds none.',
      ],
    ),
  );
}
