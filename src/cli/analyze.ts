/** `isolated-pymcp analyze <ALGO | file.py>`: explore an algorithm and report. */
import { writeFile } from 'node:fs/promises';
import { PymcpError } from '../shared/errors.js';
import { analyze } from '../analyze/analyze.js';
import { connectUrl, spawnServer } from '../analyze/connect.js';
import { renderHtml } from '../analyze/render-html.js';
import { renderMarkdown, renderText } from '../analyze/render-text.js';
import { listBundled, resolveTarget } from '../analyze/target.js';

import type { Format } from '../analyze/formats.js';

export interface AnalyzeFlags {
  format: Format;
  out?: string;
  /** Also write the HTML page here. */
  html?: string;
  budget: number;
  list?: boolean;
  lsp?: string;
  /** A running `serve --http` endpoint to use instead of spawning a server. */
  url?: string;
  tokenFile?: string;
}

export async function analyzeCommand(
  spec: string | undefined,
  flags: AnalyzeFlags,
): Promise<number> {
  if (flags.list) {
    for (const algorithm of await listBundled()) {
      process.stdout.write(`${algorithm.name.padEnd(16)} ${algorithm.summary}\n`);
    }
    return 0;
  }
  if (spec === undefined)
    throw new PymcpError('input_invalid', 'name an algorithm (see --list) or a Python file');
  if (flags.format === 'html' && flags.out === undefined) {
    throw new PymcpError('input_invalid', '--format html needs --out FILE');
  }
  const target = await resolveTarget(spec, process.cwd());
  const progress = progressPrinter();
  let connection;
  if (flags.url === undefined) {
    progress(`starting the server (workspace ${target.workspace})`);
    connection = await spawnServer(target.workspace, flags.lsp ? ['--lsp', flags.lsp] : []);
  } else {
    const { loadToken, TOKEN_ENV } = await import('../server/http.js');
    const token = await loadToken(flags.tokenFile, process.env[TOKEN_ENV]);
    if (token === undefined) {
      throw new PymcpError('input_invalid', `--url needs --token-file FILE or $${TOKEN_ENV}`);
    }
    progress(`connecting to ${flags.url} (its workspace must hold ${target.file})`);
    connection = await connectUrl(flags.url, token);
  }
  let report;
  try {
    report = await analyze(connection.client, target, {
      budgetSeconds: flags.budget,
      onProgress: progress,
    });
  } finally {
    progress.done();
    await connection.close();
  }
  const rendered =
    flags.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : flags.format === 'markdown'
        ? renderMarkdown(report)
        : flags.format === 'html'
          ? renderHtml(report)
          : renderText(report);
  if (flags.out === undefined) process.stdout.write(rendered);
  else {
    await writeFile(flags.out, rendered);
    process.stderr.write(`wrote ${flags.out}\n`);
  }
  if (flags.html !== undefined) {
    await writeFile(flags.html, renderHtml(report));
    process.stderr.write(`wrote ${flags.html}\n`);
  }
  const broken =
    report.load_error !== null ||
    (report.doctests?.failed ?? 0) > 0 ||
    (report.correctness?.implementations.some((c) => c.failure !== null) ?? false);
  return broken ? 1 : 0;
}

/** Progress on stderr: one updating line on a terminal, plain lines otherwise. */
function progressPrinter(): ((message: string) => void) & { done(): void } {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  const print = (message: string): void => {
    const line = `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`;
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  return Object.assign(print, {
    done: () => {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  });
}
