/** Start the built CLI (bin/isolated-pymcp serve) and connect the real SDK Client over stdio. */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { descendants, waitGone } from './processes.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/isolated-pymcp');

export interface ServerUnderTest {
  client: Client;
  pid: number;
  stderr(): string;
  /** Sandbox processes (and any other descendants) of the server right now. */
  descendants(): number[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  run(code: string, extra?: Record<string, unknown>): Promise<CallToolResult>;
  /** Close the client; resolves with the descendants seen during the test that are still alive. */
  close(): Promise<number[]>;
}

export async function startServer(
  args: readonly string[] = [],
  options: { env?: Record<string, string>; cwd?: string; bin?: string } = {},
): Promise<ServerUnderTest> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    // The language server is started only by tests that use it (it costs a core for a second).
    args: [
      options.bin ?? BIN,
      'serve',
      '--log-level',
      'warn',
      ...(args.includes('--lsp') ? [] : ['--lsp', 'off']),
      ...args,
    ],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    cwd: options.cwd ?? ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'isolated-pymcp-tests', version: '0.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error('server did not start');
  const seen = new Set<number>();
  const snapshot = (): number[] => {
    const now = descendants(pid);
    for (const p of now) seen.add(p);
    return now;
  };
  const call = async (name: string, toolArgs: Record<string, unknown>): Promise<CallToolResult> => {
    snapshot();
    const result = (await client.callTool({ name, arguments: toolArgs })) as CallToolResult;
    snapshot();
    return result;
  };
  return {
    client,
    pid,
    stderr: () => stderr,
    descendants: snapshot,
    call,
    run: (code, extra = {}) => call('run_python_code', { python_code: code, ...extra }),
    async close() {
      snapshot();
      await client.close();
      return waitGone([...seen, pid]);
    },
  };
}

/** The text of a tool result's first content item. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

export interface RunStructured {
  status: string;
  stdout: string;
  stderr: string;
  return_value: unknown;
  return_value_kind: string;
  error: { type: string; message: string; traceback: string } | null;
  truncated: { stdout: boolean; stderr: boolean; return_value: boolean };
  duration_ms: number;
  session_id: string | null;
  state_kept: boolean;
  notice: string | null;
}

export function structured(result: CallToolResult): RunStructured {
  if (result.structuredContent === undefined)
    throw new Error(`no structuredContent: ${textOf(result)}`);
  return result.structuredContent as unknown as RunStructured;
}
