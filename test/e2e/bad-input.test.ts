/**
 * Bad input never takes the server down: each gets an error a client can act on, and the next
 * valid call works. The raw-protocol tests write lines to the built CLI's stdin without the SDK.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BIN,
  ROOT,
  startServer,
  structured,
  textOf,
  type ServerUnderTest,
} from '../helpers/mcp-client.js';
import { descendants, waitGone } from '../helpers/processes.js';

const MiB = 1024 * 1024;

/** The message of a failed call, whether it failed as a JSON-RPC error or an isError result. */
async function failureOf(call: Promise<CallToolResult>): Promise<string> {
  let outcome: { result: CallToolResult } | { error: unknown };
  try {
    outcome = { result: await call };
  } catch (error) {
    outcome = { error };
  }
  if ('error' in outcome) {
    expect(outcome.error).toBeInstanceOf(McpError);
    return (outcome.error as McpError).message;
  }
  expect(outcome.result.isError, textOf(outcome.result)).toBe(true);
  return textOf(outcome.result);
}

async function expectServing(server: ServerUnderTest): Promise<void> {
  const result = await server.run('6 * 7');
  expect(structured(result)).toMatchObject({ status: 'completed', return_value: 42 });
}

describe('bad tool input over the SDK client', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test.each([
    ['empty python_code', { python_code: '' }, /python_code is empty/],
    ['whitespace-only python_code', { python_code: ' \n\t  \n' }, /python_code is empty/],
    ['python_code over the 1 MiB limit', { python_code: '#'.repeat(2 * MiB) }, /1 MiB limit/],
    ['python_code that is a number', { python_code: 5 }, /expected string.*python_code/],
    ['missing python_code', {}, /expected string.*python_code/],
    [
      'global_variables that is a string',
      { python_code: '1', global_variables: 'x' },
      /expected record.*global_variables/,
    ],
    [
      'a negative timeout_seconds',
      { python_code: '1', timeout_seconds: -1 },
      /Too small.*timeout_seconds/,
    ],
    [
      'timeout_seconds past the maximum',
      { python_code: '1', timeout_seconds: 10_000 },
      /Too big.*300.*timeout_seconds/,
    ],
    ['a lone surrogate in python_code', { python_code: 'x = "\ud800"' }, /lone surrogate|Unicode/],
    ['an empty session_id', { python_code: '1', session_id: '' }, /session_id/],
  ])('rejects %s and keeps serving', async (_name, args, message) => {
    const text = await failureOf(server.call('run_python_code', args));
    expect(text).toMatch(message);
    await expectServing(server);
  });

  test('an unknown tool name is a JSON-RPC invalid-params error (-32602), and the server keeps serving', async () => {
    const error = await server.call('run_ruby_code', { code: 'puts 1' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toMatch(/run_ruby_code.*not found/);
    await expectServing(server);
  });

  test('an unknown argument is refused by name, not ignored', async () => {
    const text = await failureOf(server.call('run_python_code', { python_code: '1', timeout: 5 }));
    expect(text).toMatch(/unknown argument "timeout".*timeout_seconds/);
    await expectServing(server);
  });

  test('arguments with hundreds of thousands of values are refused before any schema work', async () => {
    const many = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i]));
    const text = await failureOf(
      server.call('run_python_code', { python_code: '1', global_variables: many }),
    );
    expect(text).toMatch(/more than 100000 values/);
    await expectServing(server);
  });

  test('global_variables nested 1500 deep are refused at once, not left to hang the sandbox until the timeout', async () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 1500; i += 1) deep = { a: deep };
    const text = await failureOf(
      server.call('run_python_code', {
        python_code: '1',
        global_variables: { deep },
        timeout_seconds: 60,
      }),
    );
    expect(text).toMatch(/nested more than 100 levels deep/);
    await expectServing(server);
  });
});

interface RpcResponse {
  jsonrpc: '2.0';
  id: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** The built CLI on raw pipes: write lines, read JSON-RPC responses. */
class RawServer {
  readonly responses: RpcResponse[] = [];
  readonly seen = new Set<number>();
  stderr = '';
  private readonly waiters: Array<() => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.responses.push(JSON.parse(line) as RpcResponse);
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
  }

  static start(args: readonly string[] = []): RawServer {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--log-level', 'warn', '--no-workspace', ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    return new RawServer(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Write bytes to stdin, waiting for the pipe to drain. */
  async write(data: string | Buffer): Promise<void> {
    if (!this.child.stdin.write(data)) {
      await new Promise((resolve) => this.child.stdin.once('drain', resolve));
    }
  }

  send(message: unknown): Promise<void> {
    return this.write(JSON.stringify(message) + '\n');
  }

  /** The first response `match` accepts, waiting for it up to `timeoutMs`. */
  async response(match: (r: RpcResponse) => boolean, timeoutMs = 20_000): Promise<RpcResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const pid of descendants(this.pid)) this.seen.add(pid);
      const found = this.responses.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching response; got ${JSON.stringify(this.responses)}; stderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async initialize(): Promise<void> {
    await this.send({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw-test', version: '0' },
      },
    });
    const response = await this.response((r) => r.id === 'init');
    expect(response.result).toHaveProperty('serverInfo');
    await this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  /** Close stdin and wait for the process to exit; returns its exit and surviving children. */
  async close(): Promise<{ code: number | null; survivors: number[] }> {
    for (const pid of descendants(this.pid)) this.seen.add(pid);
    this.child.stdin.end();
    const { code } = await this.exited;
    return { code, survivors: await waitGone([...this.seen, this.pid]) };
  }
}

function runCall(id: number, code: string): unknown {
  return {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'run_python_code', arguments: { python_code: code } },
  };
}

function textOfRaw(response: RpcResponse): string {
  const content = response.result?.content as Array<{ type: string; text: string }> | undefined;
  return content?.[0]?.text ?? '';
}

describe('raw protocol on stdin', () => {
  test('malformed JSON gets a parse error (-32700, id null) and the server keeps serving', async () => {
    const server = RawServer.start();
    await server.initialize();
    await server.write('{"jsonrpc": "2.0", "id": 3, "method": \n');
    const parseError = await server.response((r) => r.error?.code === -32700);
    expect(parseError.id).toBeNull();
    expect(parseError.error?.message).toMatch(/Parse error/);
    await server.send(runCall(4, '2 + 2'));
    const ok = await server.response((r) => r.id === 4);
    expect(ok.result?.structuredContent).toMatchObject({ status: 'completed', return_value: 4 });
    expect(await server.close()).toEqual({ code: 0, survivors: [] });
  });

  test('valid JSON that is not JSON-RPC gets an invalid request error (-32600) with its id', async () => {
    const server = RawServer.start();
    await server.initialize();
    await server.send({ id: 7, hello: 'world' });
    const invalid = await server.response((r) => r.id === 7);
    expect(invalid.error?.code).toBe(-32600);
    await server.send(runCall(8, '3 + 3'));
    const ok = await server.response((r) => r.id === 8);
    expect(ok.result?.structuredContent).toMatchObject({ status: 'completed', return_value: 6 });
    expect(await server.close()).toEqual({ code: 0, survivors: [] });
  });

  test('a 20 MB line gets an error and the next request on the same stdin still runs', async () => {
    const server = RawServer.start();
    await server.initialize();
    const huge = JSON.stringify(runCall(9, `x = "${'a'.repeat(20 * MiB)}"`)) + '\n';
    await server.write(huge);
    const tooBig = await server.response((r) => r.id === 9 || r.error !== undefined);
    expect(tooBig.error?.code).toBe(-32600);
    expect(tooBig.error?.message).toMatch(/exceeds/);
    expect(tooBig.id).toBe(9);
    await server.send(runCall(10, '5 * 5'));
    const ok = await server.response((r) => r.id === 10);
    expect(ok.result?.structuredContent).toMatchObject({ status: 'completed', return_value: 25 });
    expect(await server.close()).toEqual({ code: 0, survivors: [] });
  });

  test('an oversized request whose id comes last (as the SDK client writes it) is answered with that id', async () => {
    const server = RawServer.start();
    await server.initialize();
    const params = {
      name: 'run_python_code',
      arguments: { python_code: `x = "${'a'.repeat(12 * MiB)}"` },
    };
    await server.write(
      `{"jsonrpc":"2.0","method":"tools/call","params":${JSON.stringify(params)},"id":"last-1"}\n`,
    );
    const tooBig = await server.response((r) => r.error !== undefined);
    expect(tooBig).toMatchObject({ id: 'last-1', error: { code: -32600 } });
    await server.send(runCall(11, '6 * 6'));
    const ok = await server.response((r) => r.id === 11);
    expect(ok.result?.structuredContent).toMatchObject({ status: 'completed', return_value: 36 });
    expect(await server.close()).toEqual({ code: 0, survivors: [] });
  });

  test('an initialised client closing stdin cancels a running call and the server exits', async () => {
    const server = RawServer.start();
    await server.initialize();
    await server.send({
      jsonrpc: '2.0',
      id: 12,
      method: 'tools/call',
      params: {
        name: 'run_python_code',
        arguments: {
          python_code: 'print("started", flush=True)\nwhile True: pass',
          timeout_seconds: 300,
        },
      },
    });
    // Wait until the sandbox runs the loop, then close stdin: the MCP shutdown signal.
    while (descendants(server.pid).length < 2) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    // Outlives the 300 s timeout only if the call is not cancelled; the test's own timeout is 30 s.
    expect(await server.close()).toEqual({ code: 0, survivors: [] });
  });

  test('tools/call without initialize, stdin closed, prints the result and exits 0', async () => {
    const server = RawServer.start();
    await server.write(
      '{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "run_python_code", "arguments": {"python_code": "result = 40 + 2\\nprint(f\\"The answer is: {result}\\")\\nresult"}}, "id": 1}\n',
    );
    server.child.stdin.end();
    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(server.responses).toHaveLength(1);
    const [response] = server.responses;
    expect(response?.id).toBe(1);
    expect(response?.error).toBeUndefined();
    expect(textOfRaw(response!)).toBe(
      '<status>success</status>\n<output>\nThe answer is: 42\n</output>\n<return_value>\n42\n</return_value>',
    );
    expect(response?.result?.structuredContent).toMatchObject({
      status: 'completed',
      stdout: 'The answer is: 42\n',
      return_value: 42,
    });
    expect(response?.result?.isError).toBe(false);
    expect((await server.close()).survivors).toEqual([]);
  });
});

describe('oversized requests over the SDK client', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('python_code far over any frame limit fails at once with invalid request (-32600), not a client timeout', async () => {
    const error = await server.run(`x = "${'a'.repeat(12 * MiB)}"`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32600);
    expect((error as McpError).message).toMatch(/exceeds/);
    await expectServing(server);
  });
});
