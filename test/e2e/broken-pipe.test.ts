/**
 * A reader that goes away (`isolated-pymcp analyze --list | head -1`): the built CLI, with the
 * read end of its stdout (or stderr) closed before it writes, must end quietly with its own exit
 * status, never crash with an EPIPE stack trace, and leave no sandbox behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { INITIALIZE } from '../helpers/http.js';
import { BIN, ROOT } from '../helpers/mcp-client.js';
import { descendants, waitGone } from '../helpers/processes.js';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the CLI wrote on the stream that stayed open. */
  output: string;
  /** Its processes (sandboxes) that were still alive just before it exited, gone or not since. */
  children: number[];
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Run the CLI with one of its output pipes closed by the reader before anything is written. */
async function withClosed(
  closed: 'stdout' | 'stderr',
  args: readonly string[],
  input = '',
): Promise<Ended> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // The reader goes away at once: every write of the CLI to this pipe fails with EPIPE.
  child[closed].destroy();
  const open = closed === 'stdout' ? child.stderr : child.stdout;
  let output = '';
  open.setEncoding('utf8');
  open.on('data', (chunk: string) => (output += chunk));
  child.stdin.end(input);
  const children: number[] = [];
  const sample = setInterval(() => {
    if (child.pid !== undefined) children.push(...descendants(child.pid));
  }, 50);
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearInterval(sample);
  clearTimeout(timer);
  return { code, signal, output, children: [...new Set(children)] };
}

describe('a reader that closes the output early', () => {
  test('analyze --list | head -1: exit 0, no stack trace', async () => {
    const ended = await withClosed('stdout', ['analyze', '--list']);
    expect(ended.output).not.toMatch(/EPIPE|node:events|Error/);
    expect(ended.output).toBe('');
    expect(ended).toMatchObject({ code: 0, signal: null });
  });

  test('run -c | head: the code status stands (0, or 1 when it raised); the sandbox is gone', async () => {
    const ok = await withClosed('stdout', ['run', '-c', 'print("x\\n" * 100000)']);
    expect(ok.output).not.toMatch(/EPIPE|node:events|Error/);
    expect(ok).toMatchObject({ code: 0, signal: null });
    expect(await waitGone(ok.children)).toEqual([]);
    const raised = await withClosed('stdout', ['run', '-c', 'raise ValueError("no")']);
    expect(raised.output).not.toMatch(/EPIPE|node:events/);
    expect(raised).toMatchObject({ code: 1, signal: null });
  });

  test('config and --help print into a closed pipe quietly', async () => {
    for (const args of [['config', 'codex'], ['--help'], ['doctor', '--lsp', 'off']]) {
      const ended = await withClosed('stdout', args);
      expect(ended.output, args.join(' ')).not.toMatch(/EPIPE|node:events/);
      expect(ended.signal).toBe(null);
      expect(ended.code, args.join(' ')).toBe(0);
    }
  });

  test('serve with its stderr (the log) closed still answers over stdout', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'pymcp-pipe-'));
    dirs.push(workspace);
    // The sandbox runs as uid 65534 under root: it must reach the workspace.
    await chmod(workspace, 0o755);
    // Debug logging writes to stderr from the first moment; the one-shot pipe then ends stdin.
    const ended = await withClosed(
      'stderr',
      ['serve', '--log-level', 'debug', '--lsp', 'off', '--workspace', workspace],
      `${JSON.stringify(INITIALIZE)}\n`,
    );
    expect(ended.output).toContain('"serverInfo"');
    expect(ended).toMatchObject({ code: 0, signal: null });
    expect(await waitGone(ended.children)).toEqual([]);
  });
});
