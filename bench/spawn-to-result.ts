/**
 * Table 1: a fresh server process -> the first result, next to bare CPython and bare bubblewrap.
 * Table 1b: where that start-up time goes (node, module loading, one sandbox, the worker's imports).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../src/shared/log.js';
import { parseConfig } from '../src/shared/config.js';
import { createSandboxFactory } from '../src/sandbox/sandbox-factory.js';
import { BIN, ROOT, launch, shutdown } from './mcp-server.js';
import { timeSpawn, timeSpawns } from './processes.js';
import {
  BWRAP,
  BWRAP_ARGS,
  MCP_RUN_PYTHON,
  PYTHON,
  RUNS,
  SANDBOX_IDS,
  TARGETS,
  progress,
} from './settings.js';
import {
  LATENCY_HEADER,
  latencyRow,
  ratio,
  renderTable,
  summarize,
  verdict,
  type Summary,
} from './stats.js';

export interface SpawnFigures {
  python: Summary;
  server: Summary;
  /** Bare `node -e`, spawn -> exit, measured alternately with the servers. */
  node: Summary;
}

/** A bare Node.js process: the floor for a server written in Node. */
const NODE_ARGS = ['-e', 'console.log(1+1)'];

export async function spawnToFirstResult(): Promise<SpawnFigures> {
  progress('table 1: bare baselines');
  const python = summarize(
    await timeSpawns(RUNS.baseline, '2', PYTHON, ['-c', 'print(1+1)'], { env: {} }),
  );
  const bwrap = summarize(
    await timeSpawns(RUNS.baseline, '2', BWRAP, BWRAP_ARGS, { env: {}, ...SANDBOX_IDS }),
  );

  progress('table 1: isolated-pymcp serve');
  const variants = await serverVariants();
  const samples = variants.map(() => ({ total: [] as number[], call: [] as number[] }));
  const init: number[] = [];
  const closing: number[] = [];
  const node: number[] = [];
  // One start each first: the code cache of `serve` is written by the first start that has none.
  for (const variant of variants) {
    const server = await launch(variant.args, variant.env);
    await server.run('1+1');
    await shutdown(server);
  }
  // Alternate the configurations, and bare node, so that all see the same machine noise.
  for (let i = 0; i < RUNS.spawn; i++) {
    node.push(...(await timeSpawns(2, '2', process.execPath, NODE_ARGS, { env: {} })));
    for (const [index, variant] of variants.entries()) {
      const server = await launch(variant.args, variant.env);
      await server.run('1+1');
      const done = performance.now();
      const closeMs = await shutdown(server);
      samples[index]!.total.push(done - server.spawnedAt);
      samples[index]!.call.push(done - server.connectedAt);
      if (index === 0) {
        init.push(server.connectedAt - server.spawnedAt);
        closing.push(closeMs);
      }
    }
  }
  const server = summarize(samples[0]!.total);
  const nodeSummary = summarize(node);
  const rows = [
    latencyRow('bare node -e: spawn -> exit', nodeSummary),
    latencyRow('bare /usr/bin/python3 -c: spawn -> exit', python),
    latencyRow('bare bwrap + python3 -I -c: spawn -> exit', bwrap),
    latencyRow(
      'isolated-pymcp serve: spawn -> result',
      server,
      verdict(server.p50, TARGETS.spawnP50Ms, `${TARGETS.spawnP50Ms} ms`),
    ),
    latencyRow('  spawn -> initialize answered', summarize(init)),
    latencyRow('  initialize -> first result', summarize(samples[0]!.call)),
  ];
  for (const [index, variant] of variants.entries()) {
    if (index === 0) continue;
    rows.push(
      latencyRow(
        `isolated-pymcp serve ${variant.label ?? variant.args.join(' ')}`,
        summarize(samples[index]!.total),
      ),
      latencyRow('  initialize -> first result', summarize(samples[index]!.call)),
    );
  }
  rows.push(latencyRow('client.close() -> every process gone', summarize(closing)));
  console.log(
    renderTable(
      '1. Spawn -> first result of `1+1` (a new process each time)',
      LATENCY_HEADER,
      rows,
      [
        `serve p50 / bare node -e p50: ${ratio(server.p50 / nodeSummary.p50)} ` +
          verdict(server.p50 / nodeSummary.p50, TARGETS.spawnVsNode, `${TARGETS.spawnVsNode}x`),
        `mcp-run-python (published, not run here): ${MCP_RUN_PYTHON.spawn} spawn -> first result.`,
        'Server: node bin/isolated-pymcp serve --log-level warn [flags] under the SDK',
        'StdioClientTransport; the first request after initialize is run_python_code (no',
        'tools/list). The first server row is the default configuration. p99 of 10 ~ max.',
      ],
    ),
  );
  return { python, server, node: nodeSummary };
}

interface Variant {
  args: string[];
  env?: Record<string, string>;
  label?: string;
}

/**
 * The default configuration first, then diagnostic ones: without V8's code cache (a first start,
 * or a home directory the server cannot write), no pool (one sandbox start, no contention) and,
 * when this build has a language server, none started.
 */
async function serverVariants(): Promise<Variant[]> {
  const help = await timeSpawn(process.execPath, [BIN, 'serve', '--help'], { env: {} });
  const variants: Variant[] = [
    { args: [] },
    { args: [], env: { ISOLATED_PYMCP_CACHE: 'off' }, label: '(no code cache)' },
    { args: ['--pool-size', '0'] },
  ];
  if (help.stdout.includes('--lsp <')) variants.push({ args: ['--lsp', 'off'] });
  return variants;
}

export async function startupBreakdown(): Promise<void> {
  progress('table 1b: start-up breakdown');
  const env = {};
  const node = await timeSpawns(RUNS.baseline, '2', process.execPath, ['-e', 'console.log(1+1)'], {
    env,
  });
  const version = await timeSpawns(RUNS.baseline, '0.1.0', process.execPath, [BIN, '--version'], {
    env,
  });
  const { one, three } = await timeSandboxStarts();
  const imports = await workerImports();
  const programs = {
    bare: 'print(2)',
    worker: `import ${imports.join(', ')}\nprint(2)`,
  };
  const python: Record<keyof typeof programs, number[]> = { bare: [], worker: [] };
  // Alternate the programs so that both see the same machine noise.
  for (let i = 0; i < RUNS.baseline; i++) {
    for (const key of ['bare', 'worker'] as const) {
      python[key].push(...(await timeSpawns(1, '2', PYTHON, ['-I', '-c', programs[key]], { env })));
    }
  }
  console.log(
    renderTable(
      '1b. Where start-up time goes (each row spawn -> exit unless noted)',
      LATENCY_HEADER,
      [
        latencyRow('node -e (no modules)', summarize(node)),
        latencyRow('node bin/isolated-pymcp --version', summarize(version)),
        latencyRow('one sandbox start (bwrap -> worker ready)', summarize(one)),
        latencyRow('  3 started at once, each', summarize(three)),
        latencyRow('python3 -I, no imports', summarize(python.bare)),
        latencyRow("python3 -I + the worker's imports", summarize(python.worker)),
      ],
      [
        '--version loads the launcher and the bundle (with its code cache: run once before, so',
        'warm), runs the CLI up to commander and exits; each command initialises its own modules.',
        'Sandbox start: Sandbox.start() from dist/src with the default configuration, no MCP;',
        '3 at once is what a server does when its first call comes before its pool of 2 is ready.',
        `Worker imports (python/worker.py): ${imports.join(', ')}.`,
      ],
    ),
  );
}

/** Time Sandbox.start() with the server's default configuration: alone, and 3 at once. */
async function timeSandboxStarts(): Promise<{ one: number[]; three: number[] }> {
  const factory = await createSandboxFactory(
    parseConfig({ workspace: ROOT, logLevel: 'warn' }),
    createLogger('warn'),
    { workspaceIsDefault: true },
  );
  const timedStart = async (t0: number) => {
    const sandbox = await factory.start();
    return { sandbox, ms: performance.now() - t0 };
  };
  const one: number[] = [];
  for (let i = 0; i < RUNS.baseline; i++) {
    const started = await timedStart(performance.now());
    one.push(started.ms);
    await started.sandbox.close();
  }
  const three: number[] = [];
  for (let i = 0; i < RUNS.spawn; i++) {
    const t0 = performance.now();
    const settled = await Promise.allSettled([timedStart(t0), timedStart(t0), timedStart(t0)]);
    const started = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    await Promise.all(started.map((s) => s.sandbox.close()));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    three.push(...started.map((s) => s.ms));
  }
  return { one, three };
}

/** The modules python/worker.py imports at start-up (its top-level `import x` lines). */
export async function workerImports(): Promise<string[]> {
  const source = await readFile(path.join(ROOT, 'python/worker.py'), 'utf8');
  return [...source.matchAll(/^import (\w+)$/gm)].map((m) => m[1]!);
}
