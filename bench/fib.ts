/** Table 4: recursive fib(25), timed inside Python, in the sandbox via MCP and in bare CPython. */
import { createSession, type BenchServer } from './mcp-server.js';
import { timeSpawn } from './processes.js';
import { FIB_CODE, MCP_RUN_PYTHON, PYTHON, RUNS, TARGETS, progress } from './settings.js';
import { ms, ratio, renderTable, summarize, verdict } from './stats.js';

/** Resolves with the ratio of the medians, sandbox / bare. */
export async function fibTable(server: BenchServer): Promise<number> {
  progress('table 4: fib(25)');
  const session = await createSession(server);
  const bare: number[] = [];
  const sandboxed: number[] = [];
  // Alternate bare and sandboxed runs so both see the same machine noise.
  for (let i = 0; i < RUNS.fib; i++) {
    const { stdout } = await timeSpawn(PYTHON, ['-c', printingLast(FIB_CODE)], { env: {} });
    bare.push(Number(stdout.trim()));
    const result = await server.run(FIB_CODE, { session_id: session });
    sandboxed.push(Number(result.return_value));
  }
  await server.call('close_session', { session_id: session });
  const b = summarize(bare);
  const s = summarize(sandboxed);
  const medianRatio = s.p50 / b.p50;
  console.log(
    renderTable(
      '4. Recursive fib(25), timed inside Python with time.perf_counter',
      ['run', 'n', 'min', 'median', 'ratio (min)', 'ratio (median)', 'target'],
      [
        ['bare /usr/bin/python3 -c', String(b.n), ms(b.min), ms(b.p50), '1.00x', '1.00x', ''],
        [
          'sandbox via MCP (a session)',
          String(s.n),
          ms(s.min),
          ms(s.p50),
          ratio(s.min / b.min),
          ratio(medianRatio),
          verdict(medianRatio, TARGETS.fibRatio, `${TARGETS.fibRatio}x`),
        ],
      ],
      [`mcp-run-python (published, not run here): ${MCP_RUN_PYTHON.fib} for fib(25).`],
    ),
  );
  return medianRatio;
}

/** The same program for `python -c`: every line but the last, then print the last expression. */
function printingLast(code: string): string {
  const lines = code.split('\n');
  const last = lines.pop() ?? '';
  return [...lines, `print(${last})`].join('\n');
}
