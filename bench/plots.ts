/**
 * Table 6: results people look at. A first matplotlib plot in a fresh sandbox (import, font
 * cache built on the sandbox's empty /tmp, render, PNG capture) and a warm plot in a session,
 * beside `1+1` through the same server and the same plot in bare CPython, in the same run.
 */
import type { BenchServer } from './mcp-server.js';
import { createSession } from './mcp-server.js';
import { sleep, timeSpawn } from './processes.js';
import { PYTHON, REFILL_PAUSE_MS, progress } from './settings.js';
import { LATENCY_HEADER, latencyRow, renderTable, summarize } from './stats.js';

const PLOT = 'import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title("t")';
const TABLE = 'pd.DataFrame({"n": range(500), "sq": [i * i for i in range(500)]})';
const FRESH_RUNS = 10;
const WARM_RUNS = 30;

async function timed(
  runs: number,
  pauseMs: number,
  call: () => Promise<unknown>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (pauseMs > 0) await sleep(pauseMs);
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function plotTable(server: BenchServer): Promise<void> {
  progress('table 6: plots and tables');
  const plotted = async (code: string, extra: Record<string, unknown> = {}): Promise<void> => {
    const result = await server.call('run_python_code', { python_code: code, ...extra });
    if (!result.content.some((item) => item.type === 'image'))
      throw new Error('a plot came back without an image');
  };
  const firstPlot = await timed(FRESH_RUNS, REFILL_PAUSE_MS, () => plotted(PLOT));
  const freshTrivial = await timed(FRESH_RUNS, REFILL_PAUSE_MS, () => server.run('1+1'));
  const bare = await timed(5, 0, () =>
    timeSpawn(
      PYTHON,
      [
        '-c',
        `import io, matplotlib\nmatplotlib.use("Agg")\n${PLOT}\nplt.gcf().savefig(io.BytesIO(), format="png")`,
      ],
      { env: { HOME: '/tmp', MPLCONFIGDIR: '/tmp/pymcp-bench-mpl' } },
    ),
  );

  const session = await createSession(server);
  await plotted(PLOT, { session_id: session });
  await server.run('import pandas as pd', { session_id: session });
  const warmPlot = await timed(WARM_RUNS, 0, () => plotted(PLOT, { session_id: session }));
  const warmTable = await timed(WARM_RUNS, 0, () => server.run(TABLE, { session_id: session }));
  const warmTrivial = await timed(WARM_RUNS, 0, () => server.run('1+1', { session_id: session }));
  await server.call('close_session', { session_id: session });

  console.log(
    renderTable(
      '6. Plots and tables over MCP stdio: a 640x480 line plot returned as a PNG image',
      LATENCY_HEADER,
      [
        latencyRow('first plot, fresh sandbox (import + font cache + PNG)', summarize(firstPlot)),
        latencyRow('  baseline: fresh sandbox `1+1`', summarize(freshTrivial)),
        latencyRow('  baseline: bare python3, same plot to PNG (warm font cache)', summarize(bare)),
        latencyRow('warm plot in a session (matplotlib imported)', summarize(warmPlot)),
        latencyRow('warm 500-row DataFrame as a table in a session', summarize(warmTable)),
        latencyRow('  baseline: session `1+1`', summarize(warmTrivial)),
      ],
      [
        `Fresh calls ${REFILL_PAUSE_MS} ms apart (the pool refills between them). Each fresh sandbox`,
        'starts with an empty /tmp, so matplotlib builds its font cache there on every first plot;',
        'bare python3 keeps its cache in /tmp/pymcp-bench-mpl between runs.',
      ],
    ),
  );
}
