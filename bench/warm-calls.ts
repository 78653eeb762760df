/**
 * Table 2: round trips over MCP stdio to a running server (in a session; fresh sandboxes).
 * Table 3: the first call of a new session, with the pool warm.
 */
import { createSession, type BenchServer } from './mcp-server.js';
import { sleep } from './processes.js';
import { MCP_RUN_PYTHON, REFILL_PAUSE_MS, RUNS, TARGETS, progress } from './settings.js';
import type { SpawnFigures } from './spawn-to-result.js';
import {
  LATENCY_HEADER,
  latencyRow,
  renderTable,
  summarize,
  verdict,
  type Summary,
} from './stats.js';

export async function warmRoundTrip(server: BenchServer, spawn: SpawnFigures): Promise<Summary> {
  progress('table 2: session round trips');
  const session = await createSession(server);
  for (let i = 0; i < RUNS.warmup; i++) await server.run('1+1', { session_id: session });
  const client: number[] = [];
  const inSandbox: number[] = [];
  for (let i = 0; i < RUNS.warm; i++) {
    const t0 = performance.now();
    const result = await server.run('1+1', { session_id: session });
    client.push(performance.now() - t0);
    inSandbox.push(result.duration_ms);
  }
  await server.call('close_session', { session_id: session });
  const floor: number[] = [];
  for (let i = 0; i < RUNS.warm / 3; i++) {
    const t0 = performance.now();
    await server.call('list_sessions', {});
    floor.push(performance.now() - t0);
  }

  progress('table 2: fresh calls');
  await sleep(REFILL_PAUSE_MS);
  const backToBack = await timeFreshCalls(server, 0);
  await sleep(REFILL_PAUSE_MS);
  const paced = await timeFreshCalls(server, REFILL_PAUSE_MS);

  const warm = summarize(client);
  console.log(
    renderTable(
      '2. Warm round trip over MCP stdio: run_python_code `1+1`, one connected client',
      LATENCY_HEADER,
      [
        latencyRow(
          'in a session',
          warm,
          verdict(warm.p50, TARGETS.warmP50Ms, `${TARGETS.warmP50Ms} ms`),
        ),
        latencyRow('  of which in the sandbox (duration_ms)', summarize(inSandbox)),
        latencyRow('MCP floor: list_sessions (no sandbox)', summarize(floor)),
        latencyRow('fresh sandbox, back-to-back', summarize(backToBack)),
        latencyRow(`fresh sandbox, paced (${REFILL_PAUSE_MS} ms apart)`, summarize(paced)),
        latencyRow('baseline: bare python3 -c (table 1)', spawn.python),
      ],
      [
        `mcp-run-python (published, not run here): ${MCP_RUN_PYTHON.warm} per warm round trip.`,
        `Session: ${RUNS.warmup} warm-up calls, then ${RUNS.warm}. Pool size 2 (the default); the client`,
        'listed tools first, so the SDK validates structuredContent as a real client would.',
        "duration_ms: the server's own time from the worker request to its result.",
      ],
    ),
  );
  return warm;
}

async function timeFreshCalls(server: BenchServer, pauseMs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS.fresh; i++) {
    if (pauseMs > 0) await sleep(pauseMs);
    const t0 = performance.now();
    await server.run('1+1');
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function newSessionFirstCall(server: BenchServer): Promise<Summary> {
  progress('table 3: new sessions');
  const create: number[] = [];
  const firstRun: number[] = [];
  const both: number[] = [];
  for (let i = 0; i < RUNS.newSession; i++) {
    await sleep(REFILL_PAUSE_MS);
    const t0 = performance.now();
    const session = await createSession(server);
    const t1 = performance.now();
    await server.run('1+1', { session_id: session });
    const t2 = performance.now();
    create.push(t1 - t0);
    firstRun.push(t2 - t1);
    both.push(t2 - t0);
    await server.call('close_session', { session_id: session });
  }
  const total = summarize(both);
  console.log(
    renderTable(
      `3. First call of a new session, pool warm (${REFILL_PAUSE_MS} ms between iterations)`,
      LATENCY_HEADER,
      [
        latencyRow(
          'create_session + first run `1+1`',
          total,
          verdict(total.p50, TARGETS.newSessionP50Ms, `${TARGETS.newSessionP50Ms} ms`),
        ),
        latencyRow('  create_session alone', summarize(create)),
        latencyRow('  first run_python_code alone', summarize(firstRun)),
      ],
    ),
  );
  return total;
}
