/** `isolated-pymcp analyze <ALGO | file.py ...>`: explore algorithms and report. */
import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PymcpError } from '../shared/errors.js';
import { analyze } from '../analyze/analyze.js';
import { connectUrl, spawnServer } from '../analyze/connect.js';
import { samplesCsv } from '../analyze/csv.js';
import { renderHtml } from '../analyze/render-html.js';
import { renderMarkdown, renderText, visibleControls } from '../analyze/render-text.js';
import { parseSizes } from '../analyze/sizes.js';
import { listBundled, resolveTargets } from '../analyze/target.js';

import type { Format } from '../analyze/formats.js';

export interface AnalyzeFlags {
  format: Format;
  out?: string;
  /** Also write the HTML page here. */
  html?: string;
  /** Also write every timed repeat here, as CSV. */
  csv?: string;
  budget: number;
  seed: number;
  inputs: number;
  impl?: string[];
  input?: string;
  sizes?: string;
  reference?: string;
  list?: boolean;
  lsp?: string;
  /** A running `serve --http` endpoint to use instead of spawning a server. */
  url?: string;
  tokenFile?: string;
}

export async function analyzeCommand(
  specs: readonly string[],
  flags: AnalyzeFlags,
): Promise<number> {
  if (flags.list) {
    for (const algorithm of await listBundled()) {
      process.stdout.write(`${algorithm.name.padEnd(16)} ${algorithm.summary}\n`);
    }
    return 0;
  }
  if (specs.length === 0)
    throw new PymcpError('input_invalid', 'name an algorithm (see --list) or a Python file');
  if (flags.format === 'html' && flags.out === undefined) {
    throw new PymcpError('input_invalid', '--format html needs --out FILE');
  }
  if (!(flags.budget > 0 && flags.budget <= 600))
    throw new PymcpError('input_invalid', '--budget must be more than 0 and at most 600 seconds');
  if (!Number.isInteger(flags.inputs) || flags.inputs < 1 || flags.inputs > 50)
    throw new PymcpError('input_invalid', '--inputs must be an integer from 1 to 50');
  if (!Number.isSafeInteger(flags.seed) || flags.seed < 0)
    throw new PymcpError('input_invalid', '--seed must be a non-negative integer');
  const sizes = flags.sizes === undefined ? undefined : parseSizes(flags.sizes);
  // Before the analysis, not after it: a report that cannot be written would be lost.
  for (const [option, file] of [
    ['--out', flags.out],
    ['--html', flags.html],
    ['--csv', flags.csv],
  ] as const) {
    if (file !== undefined) await assertCanWrite(option, file);
  }
  const targets = await resolveTargets(specs, process.cwd());
  const first = targets[0];
  if (first === undefined) throw new PymcpError('input_invalid', 'nothing to analyse');
  const progress = progressPrinter();
  let connection;
  if (flags.url === undefined) {
    progress(`starting the server (workspace ${first.workspace})`);
    connection = await spawnServer(first.workspace, flags.lsp ? ['--lsp', flags.lsp] : []);
  } else {
    const { loadToken, TOKEN_ENV } = await import('../server/http.js');
    const token = await loadToken(flags.tokenFile, process.env[TOKEN_ENV]);
    if (token === undefined) {
      throw new PymcpError('input_invalid', `--url needs --token-file FILE or $${TOKEN_ENV}`);
    }
    progress(`connecting to ${flags.url} (its workspace must hold ${first.file})`);
    connection = await connectUrl(flags.url, token);
  }
  let result;
  try {
    result = await analyze(connection.client, targets, {
      budgetSeconds: flags.budget,
      seed: flags.seed,
      inputsPerSize: flags.inputs,
      ...(flags.impl && flags.impl.length > 0 ? { implementations: flags.impl } : {}),
      ...(flags.input === undefined ? {} : { input: flags.input }),
      ...(sizes === undefined ? {} : { sizes }),
      ...(flags.reference === undefined ? {} : { reference: flags.reference }),
      onProgress: progress,
    });
  } finally {
    progress.done();
    await connection.close();
  }
  const { report } = result;
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
  if (flags.csv !== undefined) {
    await writeFile(flags.csv, samplesCsv(result.samples));
    process.stderr.write(`wrote ${flags.csv} (${result.samples.length} samples)\n`);
  }
  return report.verdict.status === 'failed' ? 1 : 0;
}

/** Progress on stderr: one updating line on a terminal, plain lines otherwise. */
function progressPrinter(): ((message: string) => void) & { done(): void } {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  const print = (message: string): void => {
    const line = `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${visibleControls(message)}`;
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  return Object.assign(print, {
    done: () => {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  });
}

/** `file` can be written: not a directory, in a directory that exists and takes new files. */
async function assertCanWrite(option: string, file: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory() === true) {
    throw new PymcpError('input_invalid', `${option} ${file} is a directory; name a file in it`);
  }
  const dir = path.dirname(path.resolve(file));
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new PymcpError(
      'input_invalid',
      `${option} ${file}: cannot write in ${dir} (create it, or name a file elsewhere)`,
    );
  }
}
