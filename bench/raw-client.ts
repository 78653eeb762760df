/**
 * The built server driven by the thinnest possible MCP client: JSON lines out, JSON.parse in,
 * responses matched by id, nothing validated. Beside the SDK Client (mcp-server.ts) it splits a
 * tool call's cost into what the server adds and what the SDK Client spends checking the answer
 * (zod for the result, ajv for structuredContent against the tool's output schema).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, ROOT } from './mcp-server.js';

interface Response {
  id?: number;
  result?: { isError?: boolean; structuredContent?: unknown; content?: unknown[] };
  error?: { message: string };
}

export interface RawServer {
  pid: number;
  call(name: string, args: Record<string, unknown>): Promise<NonNullable<Response['result']>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function launchRaw(args: readonly string[]): Promise<RawServer> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [BIN, 'serve', '--log-level', 'warn', ...args],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: 'pipe' },
  );
  child.stderr.resume();
  const waiting = new Map<number, (response: Response) => void>();
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      const response = JSON.parse(buffered.slice(0, end)) as Response;
      buffered = buffered.slice(end + 1);
      if (response.id === undefined) continue;
      waiting.get(response.id)?.(response);
      waiting.delete(response.id);
    }
  });
  const gone = new Promise<void>((resolve) => {
    child.once('close', () => {
      // A server that exits mid-call fails the calls it had not answered, not hangs them.
      for (const settle of waiting.values()) settle({ error: { message: 'the server exited' } });
      waiting.clear();
      resolve();
    });
  });
  let next = 0;
  const send = (method: string, params: unknown): Promise<Response> =>
    new Promise((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  const answer = async (method: string, params: unknown) => {
    const response = await send(method, params);
    if (response.error !== undefined || response.result === undefined)
      throw new Error(`${method}: ${response.error?.message ?? 'no result'}`);
    return response.result;
  };
  await answer('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'isolated-pymcp-bench-raw', version: '0.0.0' },
  });
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  if (child.pid === undefined) throw new Error('the server did not start');
  return {
    pid: child.pid,
    call: (name, toolArgs) => answer('tools/call', { name, arguments: toolArgs }),
    ping: async () => {
      await answer('ping', {});
    },
    async close() {
      child.stdin.end();
      await gone;
    },
  };
}
