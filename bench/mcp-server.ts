/** The built server (bin/isolated-pymcp serve) spawned over stdio and driven by the SDK Client. */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { descendants, waitGone } from './processes.js';

/** The repository root, from dist/bench/ (compiled) or bench/ (sources). */
export const ROOT = path.resolve(
  import.meta.dirname,
  import.meta.dirname.split(path.sep).includes('dist') ? '../..' : '..',
);
export const BIN = path.join(ROOT, 'bin/isolated-pymcp');

export interface BenchServer {
  client: Client;
  pid: number;
  /** performance.now() just before the process was spawned and once `initialize` was answered. */
  spawnedAt: number;
  connectedAt: number;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** run_python_code; throws unless the code completed. Resolves with structuredContent. */
  run(code: string, extra?: Record<string, unknown>): Promise<RunStructured>;
  stderr(): string;
  /** Descendants of the server right now; every one seen is remembered for `seen`. */
  snapshot(): number[];
  /** The server and every descendant seen so far. */
  seen(): number[];
  close(): Promise<void>;
}

export interface RunStructured {
  status: string;
  return_value: unknown;
  duration_ms: number;
  session_id: string | null;
}

export async function startServer(
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<BenchServer> {
  const spawnedAt = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', '--log-level', 'warn', ...args],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    cwd: ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'isolated-pymcp-bench', version: '0.0.0' });
  await client.connect(transport);
  const connectedAt = performance.now();
  const pid = transport.pid;
  if (pid === null) throw new Error('the server did not start');
  const seen = new Set<number>([pid]);
  const snapshot = (): number[] => {
    const now = descendants(pid);
    for (const p of now) seen.add(p);
    return now;
  };
  const call = async (name: string, toolArgs: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: toolArgs })) as CallToolResult;
  return {
    client,
    pid,
    spawnedAt,
    connectedAt,
    call,
    async run(code, extra = {}) {
      const result = await call('run_python_code', { python_code: code, ...extra });
      const structured = result.structuredContent as RunStructured | undefined;
      if (result.isError === true || structured?.status !== 'completed') {
        const first = result.content[0];
        throw new Error(`run failed: ${first?.type === 'text' ? first.text : '(no text)'}`);
      }
      return structured;
    },
    stderr: () => stderr,
    snapshot,
    seen: () => [...seen],
    close: () => client.close(),
  };
}

/** create_session; resolves with the new session's id. */
export async function createSession(server: BenchServer): Promise<string> {
  const result = await server.call('create_session', {});
  const id = (result.structuredContent as { session_id?: unknown } | undefined)?.session_id;
  if (result.isError === true || typeof id !== 'string') throw new Error('create_session failed');
  return id;
}

/** Servers started and not yet shut down; all of them (and their sandboxes) go at the end. */
const open = new Set<BenchServer>();
/** Every process any server had: checked once more at the very end. */
const everSeen = new Set<number>();

export async function launch(
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<BenchServer> {
  const server = await startServer(args, env);
  open.add(server);
  return server;
}

/** Close a server; resolves once it and every descendant it had are gone (ms that took). */
export async function shutdown(server: BenchServer): Promise<number> {
  open.delete(server);
  server.snapshot();
  const closing = performance.now();
  await server.close();
  const pids = server.seen();
  for (const pid of pids) everSeen.add(pid);
  const survivors = await waitGone(pids);
  if (survivors.length > 0)
    throw new Error(`processes outlived the server: ${survivors.join(' ')}`);
  return performance.now() - closing;
}

/** Close every server still open; resolves with any process of any server still alive. */
export async function shutdownAll(): Promise<number[]> {
  for (const server of [...open]) {
    // A server still open here is one the benchmark did not finish with: show what it logged.
    const log = server.stderr().trim();
    if (log !== '') process.stderr.write(`bench: server ${server.pid} stderr:\n${log}\n`);
    try {
      await shutdown(server);
    } catch {
      // reported below: its survivors are in everSeen
    }
  }
  return waitGone(everSeen);
}
