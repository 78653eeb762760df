/**
 * run_python_code benchmark: the built server, driven by the real SDK Client over stdio, printed
 * side by side with bare CPython and bare bubblewrap measured in the same run.
 *
 *   make bench        (npm run build && npm run bench)
 *
 * 1 spawn -> first result, 1b where start-up time goes, 2 warm round trip, 3 first call of a new
 * session, 4 recursive fib(25) vs bare CPython, 5 memory of the server and its sandboxes, 6 plots
 * and tables.
 * Progress goes to stderr; the tables to stdout.
 */
import { availableParallelism, release } from 'node:os';
import { fibTable } from './fib.js';
import { launch, shutdownAll } from './mcp-server.js';
import { memoryTable } from './memory.js';
import { plotTable } from './plots.js';
import { timeSpawn } from './processes.js';
import { BWRAP, MCP_RUN_PYTHON, PYTHON, TARGETS } from './settings.js';
import { spawnToFirstResult, startupBreakdown } from './spawn-to-result.js';
import { loadAverage, reportEnd, runBench } from './report.js';
import { ms, ratio, renderTable } from './stats.js';
import { newSessionFirstCall, warmRoundTrip } from './warm-calls.js';

async function machine(): Promise<string> {
  const python = await timeSpawn(PYTHON, ['-c', 'import sys; print(sys.version.split()[0])'], {
    env: {},
  });
  const bwrap = await timeSpawn(BWRAP, ['--version'], { env: {} });
  return [
    'isolated-pymcp run_python_code benchmark',
    `node ${process.version}, python ${python.stdout.trim()}, ${bwrap.stdout.trim()}, ` +
      `${availableParallelism()} cpus, kernel ${release()}, uid ${process.getuid?.() ?? '?'}`,
    `load average at start: ${loadAverage()}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const began = performance.now();
  try {
    console.log(await machine());
    const spawn = await spawnToFirstResult();
    await startupBreakdown();
    const server = await launch();
    // Like a real client: list the tools, so the SDK validates structuredContent.
    await server.client.listTools();
    const warm = await warmRoundTrip(server, spawn);
    const newSession = await newSessionFirstCall(server);
    const fibRatio = await fibTable(server);
    await memoryTable(server);
    await plotTable(server);
    const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
    console.log(
      renderTable(
        'Targets',
        ['target', 'measured', 'result', 'mcp-run-python (published)'],
        [
          [
            `warm round trip p50 <= ${TARGETS.warmP50Ms} ms`,
            ms(warm.p50),
            pass(warm.p50 <= TARGETS.warmP50Ms),
            MCP_RUN_PYTHON.warm,
          ],
          [
            `new session + first call p50 <= ${TARGETS.newSessionP50Ms} ms`,
            ms(newSession.p50),
            pass(newSession.p50 <= TARGETS.newSessionP50Ms),
            '-',
          ],
          [
            `spawn -> first result p50 <= ${TARGETS.spawnP50Ms} ms`,
            ms(spawn.server.p50),
            pass(spawn.server.p50 <= TARGETS.spawnP50Ms),
            MCP_RUN_PYTHON.spawn,
          ],
          [
            `spawn -> first result p50 <= ${TARGETS.spawnVsNode}x bare node -e`,
            ratio(spawn.server.p50 / spawn.node.p50),
            pass(spawn.server.p50 / spawn.node.p50 <= TARGETS.spawnVsNode),
            '-',
          ],
          [
            `fib(25) median <= ${TARGETS.fibRatio}x bare CPython`,
            ratio(fibRatio),
            pass(fibRatio <= TARGETS.fibRatio),
            MCP_RUN_PYTHON.fib,
          ],
        ],
      ),
    );
  } finally {
    const left = await shutdownAll();
    reportEnd(began, left);
  }
}

runBench(main);
