/**
 * Driving `serve --http` in tests: start the built CLI on a free port, connect the SDK Client
 * with the token, or send raw requests with any header, body or none at all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type OutgoingHttpHeaders } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { maxRequestBytes } from '../../src/server/request-limits.js';
import { BIN, ROOT, structured, textOf } from './mcp-client.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '0' },
  },
};
export const PING = { jsonrpc: '2.0', id: 2, method: 'ping' };
/** The default body cap: maxRequestBytes of the default 1 MiB code limit. */
export const BODY_CAP = maxRequestBytes(1024 * 1024);

export interface HttpServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  stderr(): string;
  /** Send `signal`; resolves with the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Poll `check` every 100 ms until it is true, for at most `ms` (a bound, not a timing claim). */
export async function until(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Start `serve --http` and wait until it listens (or fail with its stderr). */
export async function startHttp(
  extraArgs: readonly string[] = [],
  env: Record<string, string> = { ISOLATED_PYMCP_TOKEN: TOKEN },
): Promise<HttpServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--http',
      '--port',
      String(port),
      '--lsp',
      'off',
      '--no-workspace',
      '--pool-size',
      '1',
      ...extraArgs,
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'pipe' },
  );
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.includes('serving MCP on')) resolve();
    });
    void exited.then((code) => {
      reject(new Error(`server exited (${code}) before listening:\n${stderr}`));
    });
  });
  if (child.pid === undefined) throw new Error('no pid');
  return {
    child,
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function connect(url: string, token = TOKEN): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'isolated-pymcp-http-tests', version: '0.0.0' });
  await client.connect(transport);
  return client;
}

export async function run(
  client: Client,
  code: string,
  extra: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return (await client.callTool({
    name: 'run_python_code',
    arguments: { python_code: code, ...extra },
  })) as CallToolResult;
}

export async function createSession(client: Client): Promise<string> {
  const result = (await client.callTool({
    name: 'create_session',
    arguments: {},
  })) as CallToolResult;
  expect(result.isError, textOf(result)).not.toBe(true);
  return (result.structuredContent as { session_id: string }).session_id;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One raw HTTP request (any Host header, any body, or a declared length with no body at all).
 * Defaults: POST /mcp with the token, JSON and the Accept header MCP needs.
 */
export function raw(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: OutgoingHttpHeaders;
    body?: string | Buffer | Buffer[];
    /** Send only the headers and wait for the answer. */
    noBody?: boolean;
    /** Fail when no answer comes within this time. */
    timeoutMs?: number;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          req.destroy();
        });
      },
    );
    const { timeoutMs } = options;
    if (timeoutMs !== undefined) {
      req.setTimeout(timeoutMs, () => {
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      });
    }
    // After the answer has settled the promise, a failed write of a refused body changes nothing.
    req.on('error', reject);
    if (options.noBody === true) {
      req.flushHeaders();
      return;
    }
    const chunks = Array.isArray(options.body) ? options.body : [options.body ?? ''];
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** Initialize a session by hand (as `version`), send notifications/initialized; its id. */
export async function openRawSession(port: number, version: string): Promise<string> {
  const init = { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: version } };
  const response = await raw(port, { body: JSON.stringify(init) });
  expect(response.status).toBe(200);
  const id = response.headers['mcp-session-id'];
  if (typeof id !== 'string') throw new Error('no session id');
  const initialized = await raw(port, {
    headers: { 'Mcp-Session-Id': id },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(initialized.status).toBe(202);
  return id;
}

/** The JSON-RPC messages of an SSE response body. */
export function sseMessages(body: string): unknown[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as unknown);
}

export function jsonRpcError(response: RawResponse): { code: number; message: string } {
  return (JSON.parse(response.body) as { error: { code: number; message: string } }).error;
}

export async function expectServing(url: string): Promise<void> {
  const client = await connect(url);
  try {
    expect(structured(await run(client, '6 * 7'))).toMatchObject({ return_value: 42 });
  } finally {
    await client.close();
  }
}

export async function deleteSession(
  port: number,
  id: string | string[] | undefined,
): Promise<void> {
  if (typeof id !== 'string') return;
  const response = await raw(port, { method: 'DELETE', headers: { 'Mcp-Session-Id': id } });
  expect(response.status).toBe(200);
}
