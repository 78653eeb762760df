/**
 * MCP over Streamable HTTP: the built CLI (`serve --http`) driven by the SDK Client and by raw
 * requests shaped like the attacks each check blocks. How many MCP sessions the server keeps,
 * and which it closes, is tested in http-sessions.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectUrl } from '../../src/analyze/connect.js';
import { runCli } from '../helpers/cli.js';
import {
  BODY_CAP,
  connect,
  createSession,
  deleteSession,
  expectServing,
  INITIALIZE,
  jsonRpcError,
  openRawSession,
  PING,
  raw,
  run,
  sseMessages,
  startHttp,
  TOKEN,
  type HttpServerProcess,
} from '../helpers/http.js';
import { structured, textOf } from '../helpers/mcp-client.js';
import { descendants, waitGone } from '../helpers/processes.js';

describe('serve --http', () => {
  let server: HttpServerProcess;
  beforeAll(async () => {
    server = await startHttp();
  });
  afterAll(async () => {
    const pids = [server.pid, ...descendants(server.pid)];
    expect(await server.stop()).toBe(0);
    expect(await waitGone(pids)).toEqual([]);
  });

  test('runs Python for a client with the token (the 40 + 2 example)', async () => {
    const client = await connect(server.url);
    try {
      const result = await run(
        client,
        'result = 40 + 2\nprint(f"The answer is: {result}")\nresult',
      );
      expect(structured(result)).toMatchObject({
        status: 'completed',
        stdout: 'The answer is: 42\n',
        return_value: 42,
      });
    } finally {
      await client.close();
    }
  });

  test('keeps a Python session across calls', async () => {
    const client = await connect(server.url);
    try {
      const id = await createSession(client);
      await run(client, 'x = 41', { session_id: id });
      const result = await run(client, 'x + 1', { session_id: id });
      expect(structured(result)).toMatchObject({ return_value: 42, session_id: id });
    } finally {
      await client.close();
    }
  });

  test("session hijack: a client cannot use another client's Python session", async () => {
    const alice = await connect(server.url);
    const mallory = await connect(server.url);
    try {
      const id = await createSession(alice);
      await run(alice, 'secret = "alice"', { session_id: id });
      const stolen = await run(mallory, 'secret', { session_id: id });
      expect(stolen.isError).toBe(true);
      expect(textOf(stolen)).toContain('session_not_found');
      const listed = (await mallory.callTool({
        name: 'list_sessions',
        arguments: {},
      })) as CallToolResult;
      expect(JSON.stringify(listed.structuredContent)).not.toContain(id);
      expect(structured(await run(alice, 'secret', { session_id: id })).return_value).toBe('alice');
    } finally {
      await alice.close();
      await mallory.close();
    }
  });

  test('a request without the token is refused (401)', async () => {
    const response = await raw(server.port, {
      headers: { Authorization: '' },
      body: JSON.stringify(INITIALIZE),
    });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    await expect(connect(server.url, '')).rejects.toThrow();
  });

  test('a wrong token is refused (401), including one of the same length', async () => {
    for (const token of ['wrong', TOKEN.slice(0, -1) + 'X', `${TOKEN}extra`]) {
      const response = await raw(server.port, {
        headers: { Authorization: `Bearer ${token}` },
        body: JSON.stringify(INITIALIZE),
      });
      expect(response.status, token).toBe(401);
    }
    await expect(connect(server.url, 'not-the-token-at-all')).rejects.toThrow();
  });

  test('DNS rebinding: a request from a foreign Origin is refused (403)', async () => {
    for (const origin of [
      'http://attacker.example',
      'null',
      `http://127.0.0.1.nip.io:${server.port}`,
    ]) {
      const response = await raw(server.port, {
        headers: { Origin: origin },
        body: JSON.stringify(INITIALIZE),
      });
      expect(response.status, origin).toBe(403);
    }
    const own = await raw(server.port, {
      headers: { Origin: `http://localhost:${server.port}` },
      body: JSON.stringify(INITIALIZE),
    });
    expect(own.status).toBe(200);
    await deleteSession(server.port, own.headers['mcp-session-id']);
  });

  test('DNS rebinding: a foreign Host header is refused (403)', async () => {
    for (const host of [`attacker.example:${server.port}`, 'localhost:1', '127.0.0.1']) {
      const response = await raw(server.port, {
        headers: { Host: host },
        body: JSON.stringify(INITIALIZE),
      });
      expect(response.status, host).toBe(403);
    }
  });

  test('an oversized body is refused (413) unread, and the server keeps serving', async () => {
    const declared = await raw(server.port, {
      headers: { 'Content-Length': String(BODY_CAP + 1) },
      noBody: true,
    });
    expect(declared.status).toBe(413);
    // No Content-Length: the cap holds for what is streamed.
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const streamed = await raw(server.port, {
      headers: { 'Transfer-Encoding': 'chunked' },
      body: Array.from({ length: Math.ceil(BODY_CAP / chunk.length) + 1 }, () => chunk),
    });
    expect(streamed.status).toBe(413);
    for (const response of [declared, streamed]) {
      expect(jsonRpcError(response)).toMatchObject({ code: -32000 });
      expect(jsonRpcError(response).message).toContain(`exceeds ${BODY_CAP} bytes`);
    }
    await expectServing(server.url);
  });

  test('the largest code run_python_code accepts (1 MiB, escape-heavy) fits under the body cap', async () => {
    // A comment line that JSON escaping nearly doubles: quotes, a backslash, a tab, a newline.
    const line = '#"\\"\t\n';
    const code = line.repeat(Math.floor((1024 * 1024 - 2) / line.length)) + '42';
    expect(Buffer.byteLength(code, 'utf8')).toBeLessThanOrEqual(1024 * 1024);
    expect(JSON.stringify(code).length).toBeGreaterThan(1.5 * code.length);
    const client = await connect(server.url);
    try {
      expect(structured(await run(client, code))).toMatchObject({ return_value: 42 });
    } finally {
      await client.close();
    }
  });

  test('malformed JSON gets a JSON-RPC parse error (-32700), and the server keeps serving', async () => {
    for (const body of ['{"jsonrpc": "2.0", "method": ', Buffer.from([0x7b, 0xff, 0x7d])]) {
      const response = await raw(server.port, { body });
      expect(response.status).toBe(400);
      expect(jsonRpcError(response).code).toBe(-32700);
    }
    await expectServing(server.url);
  });

  test('JSON that is not JSON-RPC gets -32600 (400), with or without a session, and nothing hangs', async () => {
    const id = await openRawSession(server.port, '2025-06-18');
    const bodies = ['{}', '{"hello": "world"}', '42', '"ping"', 'null', '[]', '{"jsonrpc": "2.0"}'];
    for (const sessionHeaders of [{}, { 'Mcp-Session-Id': id }]) {
      for (const body of bodies) {
        const response = await raw(server.port, {
          headers: sessionHeaders,
          body,
          timeoutMs: 5000,
        });
        expect(response.status, body).toBe(400);
        expect(jsonRpcError(response).code, body).toBe(-32600);
      }
    }
    await deleteSession(server.port, id);
    await expectServing(server.url);
  });

  test('batches under 2025-06-18 are refused (400, -32600), by header or by the negotiated version', async () => {
    const batch = JSON.stringify([PING, { ...PING, id: 3 }]);
    const id = await openRawSession(server.port, '2025-06-18');
    const recorded = await raw(server.port, { headers: { 'Mcp-Session-Id': id }, body: batch });
    const late = await openRawSession(server.port, '2025-03-26');
    const byHeader = await raw(server.port, {
      headers: { 'Mcp-Session-Id': late, 'Mcp-Protocol-Version': '2025-06-18' },
      body: batch,
    });
    // A header cannot widen what the negotiated version allows.
    const widened = await raw(server.port, {
      headers: { 'Mcp-Session-Id': id, 'Mcp-Protocol-Version': '2025-03-26' },
      body: batch,
    });
    for (const [response, version] of [
      [recorded, '2025-06-18'],
      [byHeader, '2025-06-18'],
      [widened, '2025-06-18'],
    ] as const) {
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        jsonrpc: '2.0',
        error: {
          code: -32600,
          message: `batch requests are not supported in protocol version ${version}`,
        },
        id: null,
      });
    }
    // The session is still there and answers single messages.
    const single = await raw(server.port, {
      headers: { 'Mcp-Session-Id': id, 'Mcp-Protocol-Version': '2025-06-18' },
      body: JSON.stringify(PING),
    });
    expect(sseMessages(single.body)).toEqual([{ jsonrpc: '2.0', id: 2, result: {} }]);
    await deleteSession(server.port, id);
    await deleteSession(server.port, late);
  });

  test('batches under 2025-03-26 are answered, one response per request', async () => {
    const id = await openRawSession(server.port, '2025-03-26');
    const batch = JSON.stringify([
      PING,
      { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
    ]);
    for (const headers of [{}, { 'Mcp-Protocol-Version': '2025-03-26' }]) {
      const response = await raw(server.port, {
        headers: { 'Mcp-Session-Id': id, ...headers },
        body: batch,
        timeoutMs: 10_000,
      });
      expect(response.status).toBe(200);
      const answers = sseMessages(response.body) as { id: number; result: object }[];
      expect(answers.map((a) => a.id).sort()).toEqual([2, 3]);
      expect(answers.find((a) => a.id === 3)?.result).toHaveProperty('tools');
    }
    await deleteSession(server.port, id);
  });

  test("slowloris: a connection that never finishes its headers is closed (408) before Node's 60 s", async () => {
    const began = Date.now();
    const reply = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = net.connect(server.port, '127.0.0.1', () =>
        // Half a header block: no token has been checked yet.
        socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Slow: 1`),
      );
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        resolve(received);
      });
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    // Closed by the server's own limit (10 s, checked every second), far from Node's default.
    expect(Date.now() - began).toBeLessThan(55_000);
    await expectServing(server.url);
  }, 90_000);

  test('probing other paths finds nothing (404)', async () => {
    for (const p of ['/', '/mcp/', '/admin', '/MCP']) {
      expect((await raw(server.port, { method: 'GET', path: p })).status, p).toBe(404);
    }
  });

  test('other methods are refused (405)', async () => {
    const response = await raw(server.port, { method: 'PUT', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, POST, DELETE');
  });

  test('a cross-site form post (non-JSON Content-Type) is refused (415) unread', async () => {
    // The body is announced and never sent: only a refusal that does not read it can answer.
    const response = await raw(server.port, {
      headers: { 'Content-Type': 'text/plain', 'Content-Length': '100' },
      noBody: true,
      timeoutMs: 5000,
    });
    expect(response.status).toBe(415);
  });

  test('an unknown MCP session id is not found (404)', async () => {
    const response = await raw(server.port, {
      headers: { 'Mcp-Session-Id': '00000000-0000-4000-8000-000000000000' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
    expect(jsonRpcError(response).code).toBe(-32001);
  });

  test('an initialize without an id (a notification) opens no session it could never name (400)', async () => {
    const notification: Record<string, unknown> = { ...INITIALIZE };
    delete notification.id;
    const response = await raw(server.port, { body: JSON.stringify(notification) });
    expect(response.status).toBe(400);
    expect(response.headers['mcp-session-id']).toBeUndefined();
    expect(jsonRpcError(response).code).toBe(-32600);
    await expectServing(server.url);
  });

  test('connectUrl (analyze over HTTP) runs code and ends its session on close', async () => {
    const connection = await connectUrl(server.url, TOKEN);
    const result = (await connection.client.callTool({
      name: 'run_python_code',
      arguments: { python_code: '40 + 2' },
    })) as CallToolResult;
    expect(structured(result).return_value).toBe(42);
    await connection.close();
    await expectServing(server.url);
  });
});

describe('serve --http start-up and shutdown', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'pymcp-http-'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  test('exposure: --host 0.0.0.0 is refused with a clear message', async () => {
    const result = await runCli(['serve', '--http', '--host', '0.0.0.0', '--lsp', 'off'], {
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('refusing to serve HTTP on "0.0.0.0"');
    expect(result.stderr).toContain('loopback');
  });

  test('leaked secret: a token file readable by others (0644) is refused', async () => {
    const file = path.join(scratch, 'token-0644');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o644 });
    const result = await runCli(['serve', '--http', '--token-file', file, '--lsp', 'off'], {
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('readable by other users');
    expect(result.stderr).toContain('chmod 600');
  });

  test('a 0600 token file is used, trimmed', async () => {
    const file = path.join(scratch, 'token-0600');
    writeFileSync(file, `  ${TOKEN}\n`, { mode: 0o600 });
    const server = await startHttp(['--token-file', file], {});
    try {
      await expectServing(server.url);
      expect(server.stderr()).not.toContain(TOKEN);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test('without a configured token, a generated one is printed once and required', async () => {
    const server = await startHttp([], {});
    try {
      const printed = [...server.stderr().matchAll(/isolated-pymcp: HTTP token: (\S+)/g)];
      expect(printed).toHaveLength(1);
      const token = printed[0]![1]!;
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(server.stderr()).toContain(server.url);
      const client = await connect(server.url, token);
      expect(structured(await run(client, '40 + 2')).return_value).toBe(42);
      await client.close();
      await expect(connect(server.url, TOKEN)).rejects.toThrow();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test('SIGTERM closes the server, its MCP sessions and every sandbox', async () => {
    const server = await startHttp();
    const client = await connect(server.url);
    const id = await createSession(client);
    await run(client, 'import time\nx = 1', { session_id: id });
    const pids = descendants(server.pid);
    expect(pids.length).toBeGreaterThan(0);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await waitGone([server.pid, ...pids])).toEqual([]);
    await client.close().catch(() => undefined);
  });

  test('SIGINT closes the language server too', async () => {
    const server = await startHttp(['--lsp', 'pyright']);
    const client = await connect(server.url);
    const result = (await client.callTool({
      name: 'lsp_diagnostics',
      arguments: { code: 'x: int = "text"\n' },
    })) as CallToolResult;
    expect(result.isError, textOf(result)).not.toBe(true);
    const pids = descendants(server.pid);
    expect(await server.stop('SIGINT')).toBe(0);
    expect(await waitGone([server.pid, ...pids])).toEqual([]);
    await client.close().catch(() => undefined);
  });
});
