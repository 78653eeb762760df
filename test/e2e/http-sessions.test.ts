/**
 * How many MCP sessions `serve --http` keeps, and which it closes: a full table makes room by
 * evicting an idle session (never one answering a request), half-initialised sessions expire
 * quickly, and an evicted or expired session answers 404. The CLI options run against the built
 * CLI; the timing-dependent cases run in-process against serveHttp() with a real runtime, where
 * the limits can be small and the times short.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { serveHttp, type HttpOptions, type HttpServer } from '../../src/server/http.js';
import { createRuntime, type Runtime } from '../../src/server/runtime.js';
import { parseConfig, type Config } from '../../src/shared/config.js';
import { silentLogger } from '../../src/shared/log.js';
import { runCli } from '../helpers/cli.js';
import {
  BODY_CAP,
  createSession,
  expectServing,
  INITIALIZE,
  jsonRpcError,
  openRawSession,
  PING,
  raw,
  run,
  startHttp,
  TOKEN,
  type HttpServerProcess,
  type RawResponse,
} from '../helpers/http.js';
import { structured } from '../helpers/mcp-client.js';

/** A ping in session `id` (which also counts as using it). */
function ping(port: number, id: string): Promise<RawResponse> {
  return raw(port, {
    headers: { 'Mcp-Session-Id': id, 'Mcp-Protocol-Version': '2025-06-18' },
    body: JSON.stringify(PING),
    timeoutMs: 5000,
  });
}

/** Only initialize, as a client that never finishes the handshake does; the session's id. */
async function initializeOnly(port: number): Promise<string> {
  const response = await raw(port, { body: JSON.stringify(INITIALIZE) });
  expect(response.status).toBe(200);
  const id = response.headers['mcp-session-id'];
  if (typeof id !== 'string') throw new Error('no session id');
  return id;
}

function expectNotFound(response: RawResponse): void {
  expect(response.status).toBe(404);
  expect(jsonRpcError(response).code).toBe(-32001);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('serve --http --max-http-sessions / --http-idle', () => {
  let server: HttpServerProcess | undefined;
  afterEach(async () => {
    if (server !== undefined) expect(await server.stop()).toBe(0);
    server = undefined;
  });

  test('at the cap, a new client still connects and works; the least recently used idle session is evicted (404)', async () => {
    server = await startHttp(['--max-http-sessions', '4']);
    const { port } = server;
    // The cap's worth of sessions, none ever closed (like a test suite that never sends DELETE).
    const ids = [];
    for (let i = 0; i < 4; i += 1) ids.push(await openRawSession(port, '2025-06-18'));
    // Use the first again: the second is now the least recently used.
    expect((await ping(port, ids[0]!)).status).toBe(200);
    await expectServing(server.url);
    expectNotFound(await ping(port, ids[1]!));
    for (const id of [ids[0]!, ids[2]!, ids[3]!]) expect((await ping(port, id)).status).toBe(200);
  });

  test('session flooding: abandoned initializes displace each other, not established sessions', async () => {
    server = await startHttp(['--max-http-sessions', '4']);
    const { port } = server;
    const established = [];
    for (let i = 0; i < 3; i += 1) established.push(await openRawSession(port, '2025-06-18'));
    const abandoned = [];
    for (let i = 0; i < 20; i += 1) abandoned.push(await initializeOnly(port));
    for (const id of established) expect((await ping(port, id)).status).toBe(200);
    expectNotFound(await ping(port, abandoned[0]!));
    await expectServing(server.url);
  });

  test('--http-idle: a session without a request for that long is closed (404)', async () => {
    server = await startHttp(['--http-idle', '1']);
    const id = await openRawSession(server.port, '2025-06-18');
    expect((await ping(server.port, id)).status).toBe(200);
    await sleep(1800);
    expectNotFound(await ping(server.port, id));
  });

  test.each([
    ['--max-http-sessions', '0', 'expected an integer from 1 to 1024'],
    ['--max-http-sessions', '2.5', 'expected an integer from 1 to 1024'],
    ['--http-idle', '0', 'expected a number of seconds above 0'],
    ['--http-idle', 'soon', 'not a number'],
  ])('%s %s is refused at start-up', async (option, value, message) => {
    const result = await runCli(['serve', '--http', option, value, '--lsp', 'off'], {
      timeoutMs: 20_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe('serveHttp session table (in-process, real runtime)', () => {
  let config: Config;
  let runtime: Runtime;
  const servers: HttpServer[] = [];
  beforeAll(async () => {
    config = parseConfig({ workspace: null, poolSize: 1, lsp: { server: 'off' } });
    runtime = await createRuntime(config, silentLogger, { withLsp: false });
  });
  afterAll(async () => {
    for (const http of servers) await http.close();
    await runtime.close();
  });

  async function start(
    limits: Pick<HttpOptions, 'maxSessions' | 'idleMs' | 'initMs'>,
  ): Promise<HttpServer> {
    const http = await serveHttp({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      maxBodyBytes: BODY_CAP,
      connect: (connectionId) =>
        createServer({
          config,
          executor: runtime.executor,
          environment: runtime.factory.environment,
          hasWorkspace: false,
          connectionId,
          codeIntel: () => runtime.codeIntel(),
          workspace: null,
          logger: silentLogger,
        }),
      logger: silentLogger,
      ...limits,
    });
    servers.push(http);
    return http;
  }

  /** A connected SDK client and its MCP session's owner id (for the executor). */
  async function open(http: HttpServer): Promise<{ client: Client; owner: string }> {
    const transport = new StreamableHTTPClientTransport(new URL(http.url), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    });
    const client = new Client({ name: 'in-process', version: '0' });
    await client.connect(transport);
    return { client, owner: `http:${transport.sessionId ?? ''}` };
  }

  async function openWithPythonSession(
    http: HttpServer,
  ): Promise<{ client: Client; owner: string; id: string }> {
    const connection = await open(http);
    const id = await createSession(connection.client);
    expect(runtime.executor.listSessions(connection.owner).map((s) => s.session_id)).toEqual([id]);
    return { ...connection, id };
  }

  test('closing an MCP session (DELETE) closes its Python sessions', async () => {
    const http = await start({ maxSessions: 4, idleMs: 60_000 });
    const connection = await openWithPythonSession(http);
    const transport = connection.client.transport as StreamableHTTPClientTransport;
    await transport.terminateSession();
    expect(runtime.executor.listSessions(connection.owner)).toEqual([]);
    await connection.client.close();
  });

  test('abandoned sessions: an idle MCP session expires with its Python sessions', async () => {
    const http = await start({ maxSessions: 4, idleMs: 1500 });
    const connection = await openWithPythonSession(http);
    // A call in progress longer than the idle time does not count as idle.
    const slow = await run(connection.client, 'import time\ntime.sleep(2)\n1', {
      session_id: connection.id,
    });
    expect(structured(slow).return_value).toBe(1);
    await sleep(2500);
    expect(runtime.executor.listSessions(connection.owner)).toEqual([]);
    await expect(run(connection.client, '1')).rejects.toThrow(/Session not found|404/);
    await connection.client.close();
  });

  test('a session with a call in flight is never evicted; idle ones make room, with their Python sessions', async () => {
    const http = await start({ maxSessions: 2, idleMs: 60_000 });
    const busy = await open(http);
    const call = run(busy.client, 'import time\ntime.sleep(3)\n"still here"');
    await sleep(800);
    const idle = await openWithPythonSession(http);
    // The table is full: one session answering a call, one idle. Each newcomer takes the idle slot.
    const newer = await open(http);
    expect(runtime.executor.listSessions(idle.owner)).toEqual([]);
    await expect(idle.client.listTools()).rejects.toThrow(/Session not found|404/);
    const newest = await open(http);
    await expect(newer.client.listTools()).rejects.toThrow(/Session not found|404/);
    expect(structured(await call)).toMatchObject({
      status: 'completed',
      return_value: 'still here',
    });
    expect(structured(await run(busy.client, '6 * 7')).return_value).toBe(42);
    expect(structured(await run(newest.client, '6 * 7')).return_value).toBe(42);
    for (const c of [busy, idle, newer, newest]) await c.client.close();
  });

  test('when every session is answering a call, a new one gets 503 with Retry-After, then gets in once one is free', async () => {
    const http = await start({ maxSessions: 2, idleMs: 60_000 });
    const first = await open(http);
    const second = await open(http);
    const calls = [first, second].map((c) => run(c.client, 'import time\ntime.sleep(2)\n1'));
    await sleep(800);
    const refused = await raw(http.port, { body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    expect(jsonRpcError(refused)).toMatchObject({ code: -32000 });
    expect(jsonRpcError(refused).message).toContain('all 2 MCP sessions are answering requests');
    for (const result of await Promise.all(calls)) expect(structured(result).return_value).toBe(1);
    const late = await open(http);
    expect(structured(await run(late.client, '6 * 7')).return_value).toBe(42);
    for (const c of [first, second, late]) await c.client.close();
  });

  test('a half-initialised session expires after the grace time; an established one does not', async () => {
    const http = await start({ maxSessions: 8, idleMs: 60_000, initMs: 500 });
    const half = await initializeOnly(http.port);
    const whole = await openRawSession(http.port, '2025-06-18');
    await sleep(1200);
    expectNotFound(await ping(http.port, half));
    expect((await ping(http.port, whole)).status).toBe(200);
  });
});
