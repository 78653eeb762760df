/**
 * Start-up alone: tables 1 and 1b of run-python.bench.ts (spawn -> first result of a fresh
 * `serve`, next to bare node, CPython and bubblewrap; then where the time goes). 15-30 s.
 *
 *   npm run build && node dist/bench/startup.bench.js
 */
import { availableParallelism, release } from 'node:os';
import { shutdownAll } from './mcp-server.js';
import { loadAverage, reportEnd, runBench } from './report.js';
import { spawnToFirstResult, startupBreakdown } from './spawn-to-result.js';

async function main(): Promise<void> {
  const began = performance.now();
  try {
    console.log('isolated-pymcp start-up benchmark');
    console.log(
      `node ${process.version}, ${availableParallelism()} cpus, kernel ${release()}, ` +
        `uid ${process.getuid?.() ?? '?'}`,
    );
    console.log(`load average at start: ${loadAverage()}\n`);
    await spawnToFirstResult();
    await startupBreakdown();
  } finally {
    reportEnd(began, await shutdownAll());
  }
}

runBench(main);
