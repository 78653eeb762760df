/**
 * `serve --http` as a service: /healthz, /readyz and /metrics over real HTTP against the built
 * CLI, JSON logs, the replica and balancer flags, and the drain on SIGTERM: a call in flight
 * finishes and its client gets the result, a new session is refused meanwhile, the process exits
 * 0 and leaves no sandbox behind.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  connect,
  createSession,
  INITIALIZE,
  raw,
  run,
  startHttp,
  TOKEN,
  until,
  type HttpServerProcess,
  type RawResponse,
} from '../helpers/http.js';
import { BIN, ROOT, structured, textOf } from '../helpers/mcp-client.js';
import { descendants, waitGone } from '../helpers/processes.js';

const METRICS_TOKEN = 'metrics-token-abcdef0123456789';

function get(port: number, urlPath: string, headers: Record<string, string> = {}) {
  return raw(port, { method: 'GET', path: urlPath, headers, timeoutMs: 10_000 });
}

/** The value of the sample `name{labels}`, matched exactly; undefined when absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The exit code of `server`, once it exits by itself (no signal sent). */
function exitOf(server: HttpServerProcess): Promise<number | null> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('health, readiness and metrics', () => {
  let server: HttpServerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pymcp-service-'));
    chmodSync(dir, 0o755);
    const tokenFile = path.join(dir, 'metrics-token');
    writeFileSync(tokenFile, METRICS_TOKEN, { mode: 0o600 });
    server = await startHttp([
      '--replica-id',
      'alpha-1',
      '--allowed-host',
      'Balancer.Example:8443',
      '--metrics-token-file',
      tokenFile,
      '--log-format',
      'json',
      '--log-level',
      'info',
    ]);
  });

  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  test('/healthz answers without a token, but only to a Host that names the server', async () => {
    const live = await get(server.port, '/healthz', { Authorization: '' });
    expect(live.status).toBe(200);
    expect(live.body).toBe('ok\n');
    // DNS rebinding: a page on another name that resolves to 127.0.0.1.
    expect((await get(server.port, '/healthz', { Host: 'attacker.example' })).status).toBe(403);
    expect((await get(server.port, '/healthz', { Origin: 'http://attacker.example' })).status).toBe(
      403,
    );
    // The balancer's address given with --allowed-host, compared without case.
    expect((await get(server.port, '/healthz', { Host: 'balancer.example:8443' })).status).toBe(
      200,
    );
    const post = await raw(server.port, { path: '/healthz', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  test('/readyz says ready once the pool is warm, with no token and a body of its checks', async () => {
    let last: RawResponse | undefined;
    await until(
      async () => {
        last = await get(server.port, '/readyz', { Authorization: '' });
        const body = JSON.parse(last.body) as { ready: boolean; checks: Record<string, unknown> };
        // Whatever the moment, the status and the body agree, and the body is only the checks.
        expect(last.status).toBe(body.ready ? 200 : 503);
        expect(Object.keys(body.checks).sort()).toEqual(['draining', 'language_server', 'pool']);
        return body.ready;
      },
      30_000,
      'ready',
    );
    expect(JSON.parse(last!.body)).toEqual({
      ready: true,
      checks: { pool: 'warm', language_server: 'off', draining: false },
    });
  });

  test('/metrics needs the metrics token; the MCP token opens neither /metrics nor the reverse', async () => {
    expect((await get(server.port, '/metrics', { Authorization: '' })).status).toBe(401);
    expect((await get(server.port, '/metrics', { Authorization: `Bearer ${TOKEN}` })).status).toBe(
      401,
    );
    const mcpWithMetricsToken = await raw(server.port, {
      headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
      body: JSON.stringify(INITIALIZE),
    });
    expect(mcpWithMetricsToken.status).toBe(401);
    const metrics = await get(server.port, '/metrics', {
      Authorization: `Bearer ${METRICS_TOKEN}`,
    });
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toContain('isolated_pymcp_info{version="0.1.0",replica="alpha-1"} 1');
  });

  test('/metrics counts calls by tool and outcome, times them, and counts sessions and sandboxes', async () => {
    const scrape = async (): Promise<string> =>
      (await get(server.port, '/metrics', { Authorization: `Bearer ${METRICS_TOKEN}` })).body;
    const client = await connect(server.url);
    try {
      const before = await scrape();
      const ok = (labels: string): number =>
        sample(before, 'isolated_pymcp_tool_calls_total', labels) ?? 0;
      expect(sample(before, 'isolated_pymcp_mcp_sessions_open')).toBe(1);
      expect(structured(await run(client, '6 * 7'))).toMatchObject({ return_value: 42 });
      const raised = await run(client, 'raise ValueError("no")');
      expect(raised.isError).toBe(true);
      const invalid = (await client.callTool({
        name: 'run_python_code',
        arguments: { python_code: '1', timeuot: 3 },
      })) as CallToolResult;
      expect(textOf(invalid)).toContain('unknown argument');
      // A hostile tool name: a protocol error, counted under "unknown", never as a label.
      await expect(
        client.callTool({ name: 'x"} 1\nevil_metric{a="', arguments: {} }),
      ).rejects.toThrow(/not found/);
      const after = await scrape();
      const delta = (labels: string): number =>
        (sample(after, 'isolated_pymcp_tool_calls_total', labels) ?? 0) - ok(labels);
      expect(delta('{tool="run_python_code",outcome="ok"}')).toBe(1);
      expect(delta('{tool="run_python_code",outcome="error"}')).toBe(1);
      expect(delta('{tool="run_python_code",outcome="invalid_arguments"}')).toBe(1);
      expect(delta('{tool="unknown",outcome="unknown_tool"}')).toBe(1);
      expect(after).not.toContain('evil_metric');
      const count = (text: string): number =>
        sample(
          text,
          'isolated_pymcp_tool_call_duration_seconds_count',
          '{tool="run_python_code"}',
        ) ?? 0;
      expect(count(after) - count(before)).toBe(3);
      expect(
        sample(
          after,
          'isolated_pymcp_tool_call_duration_seconds_bucket',
          '{tool="run_python_code",le="+Inf"}',
        ),
      ).toBe(count(after));
      // A Python session holds its sandbox: alive as long as the session is.
      const session = await createSession(client);
      expect(structured(await run(client, 'y = 1', { session_id: session }))).toMatchObject({
        status: 'completed',
        session_id: session,
      });
      const held = await scrape();
      expect(sample(held, 'isolated_pymcp_python_sessions')).toBe(1);
      expect(sample(held, 'isolated_pymcp_sandboxes_alive')).toBeGreaterThanOrEqual(1);
      expect(sample(after, 'isolated_pymcp_run_queue_depth')).toBe(0);
      expect(sample(after, 'isolated_pymcp_language_server_restarts_total')).toBe(0);
      expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // Every line is a comment or `name{labels} value`: the text parses.
      for (const line of after.trimEnd().split('\n')) {
        expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[^\n]*\})? [-+0-9.e]+|.*NaN)$/);
      }
    } finally {
      await client.close();
    }
  });

  test('session ids name the replica; logs are one JSON object per line', async () => {
    const response = await raw(server.port, { body: JSON.stringify(INITIALIZE) });
    expect(response.status).toBe(200);
    expect(response.headers['mcp-session-id']).toMatch(/^alpha-1\.[0-9a-f-]{36}$/);
    const lines = server.stderr().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.time).toBe('string');
      expect(['debug', 'info', 'warn', 'error']).toContain(entry.level);
      expect(typeof entry.msg).toBe('string');
    }
    expect(lines.some((line) => line.includes('serving MCP on'))).toBe(true);
  });
});

describe('readiness waits for the language server', () => {
  test(
    'with pylsp, /readyz is 200 only once the language server has answered',
    { timeout: 90_000 },
    async () => {
      const server = await startHttp(['--lsp', 'pylsp']);
      try {
        let checks: Record<string, unknown> = {};
        await until(
          async () => {
            const response = await get(server.port, '/readyz');
            const body = JSON.parse(response.body) as {
              ready: boolean;
              checks: Record<string, unknown>;
            };
            checks = body.checks;
            // Never ready while the language server has not answered initialize.
            if (body.ready) expect(body.checks.language_server).toBe('ready');
            else expect(response.status).toBe(503);
            return body.ready;
          },
          60_000,
          'ready',
        );
        expect(checks).toEqual({ pool: 'warm', language_server: 'ready', draining: false });
      } finally {
        expect(await server.stop()).toBe(0);
      }
    },
  );
});

describe('readiness without a pool', () => {
  test(
    'with --pool-size 0 (nothing to pre-start), /readyz is 200, not 503 forever',
    { timeout: 90_000 },
    async () => {
      const server = await startHttp(['--pool-size', '0']);
      try {
        await until(
          async () => (await get(server.port, '/readyz')).status === 200,
          30_000,
          'ready',
        );
        expect(JSON.parse((await get(server.port, '/readyz')).body)).toEqual({
          ready: true,
          checks: { pool: 'warm', language_server: 'off', draining: false },
        });
        // And it does serve: a call starts its own sandbox.
        const client = await connect(server.url);
        expect(structured(await run(client, '6 * 7'))).toMatchObject({ return_value: 42 });
        await client.close();
      } finally {
        expect(await server.stop()).toBe(0);
      }
    },
  );
});

describe('JSON logs when start-up fails', () => {
  test('a fatal error (the port is taken) is a JSON line too, like every other', async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const result = await runCli(
        ['serve', '--http', '--port', String(port), '--log-format', 'json', '--lsp', 'off'],
        { timeoutMs: 30_000, env: { ISOLATED_PYMCP_TOKEN: TOKEN } },
      );
      expect(result.code).toBe(1);
      const lines = result.stderr.trimEnd().split('\n');
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries.at(-1)).toMatchObject({
        level: 'error',
        msg: expect.stringContaining('cannot listen'),
      });
    } finally {
      taken.close();
    }
  });
});

describe('service flags', () => {
  test.each([
    [['--replica-id', 'R1'], '--replica-id'],
    [['--replica-id', 'r1.x'], '--replica-id'],
    [['--replica-id', '-r1'], '--replica-id'],
    [['--allowed-host', 'balancer'], '--allowed-host'],
    [['--allowed-host', 'a b:80'], '--allowed-host'],
    [['--allowed-host', 'host:99999'], '--allowed-host'],
    [['--drain-seconds', '-1'], '--drain-seconds'],
    [['--log-format', 'xml'], '--log-format'],
  ])('refuses %j before starting anything', async (args, flag) => {
    const result = await runCli(['serve', '--http', ...args], { timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(flag);
  });
});

describe('SIGTERM during start-up', () => {
  /**
   * Start `serve` with `args`, and send SIGTERM once its first child (a sandbox) exists but it
   * has not said it serves yet: the signal lands mid start-up.
   */
  async function termDuringStartUp(args: readonly string[]) {
    const child = spawn(process.execPath, [BIN, 'serve', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ISOLATED_PYMCP_TOKEN: TOKEN },
      stdio: 'pipe',
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (code, signal) => {
        resolve([code, signal]);
      }),
    );
    const pid = child.pid!;
    let seen: number[] = [];
    while (seen.length === 0 && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      seen = descendants(pid);
    }
    const servingBefore = /serving MCP on/.test(stderr);
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    return { code, signal, servingBefore, pids: [pid, ...seen], stderr: () => stderr };
  }

  test.each([
    ['http', ['--http', '--port', '0']],
    ['stdio', []],
  ])('%s: exits 0, not killed by the signal, and leaves no sandbox', async (_name, transport) => {
    const result = await termDuringStartUp([
      ...transport,
      '--lsp',
      'off',
      '--no-workspace',
      '--pool-size',
      '1',
    ]);
    // The signal did land before the server served (else this tests the drain, not start-up).
    expect(result.servingBefore).toBe(false);
    expect([result.code, result.signal], result.stderr()).toEqual([0, null]);
    expect(await waitGone(result.pids, 10_000)).toEqual([]);
  });
});

describe('drain on SIGTERM', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pymcp-drain-'));
    chmodSync(dir, 0o755);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Python that runs until the test creates `name` in the workspace, then returns 42. */
  const waitFor = (name: string): string =>
    `import os, time\nwhile not os.path.exists('/workspace/${name}'):\n    time.sleep(0.05)\n42`;

  test(
    'a call in flight finishes and is answered, new sessions are refused, the process exits 0',
    { timeout: 90_000 },
    async () => {
      const server = await startHttp(['--workspace', dir, '--drain-seconds', '60']);
      const client = await connect(server.url);
      const call = run(client, waitFor('go'), { timeout_seconds: 120 });
      const scrape = async (): Promise<string> =>
        (await get(server.port, '/metrics', { Authorization: `Bearer ${TOKEN}` })).body;
      await until(
        async () => sample(await scrape(), 'isolated_pymcp_runs_in_progress') === 1,
        30_000,
        'running',
      );
      const pids = [server.pid, ...descendants(server.pid)];
      expect(pids.length).toBeGreaterThan(1);
      server.child.kill('SIGTERM');
      // Readiness goes false at once; the process is still alive and says so. (Polled on the
      // draining check itself: under load /readyz can already be 503 for a pool still refilling.)
      const readyz = async (): Promise<{
        status: number;
        body: { checks?: { draining?: boolean } };
      }> => {
        const answer = await get(server.port, '/readyz');
        return {
          status: answer.status,
          body: JSON.parse(answer.body) as { checks?: { draining?: boolean } },
        };
      };
      await until(async () => (await readyz()).body.checks?.draining === true, 10_000, 'draining');
      const unready = await readyz();
      expect(unready.status).toBe(503);
      expect(unready.body).toMatchObject({ ready: false, checks: { draining: true } });
      expect((await get(server.port, '/healthz')).status).toBe(200);
      // A new session is refused with 503, and told why.
      const refused = await raw(server.port, {
        body: JSON.stringify(INITIALIZE),
        timeoutMs: 10_000,
      });
      expect(refused.status).toBe(503);
      expect(refused.body).toContain('draining');
      // The open session is still served.
      expect(await client.ping()).toEqual({});
      writeFileSync(path.join(dir, 'go'), '');
      const result = await call;
      expect(structured(result), textOf(result)).toMatchObject({ return_value: 42 });
      expect(await exitOf(server)).toBe(0);
      expect(server.stderr()).toContain('drained: no call in flight');
      expect(await waitGone(pids, 10_000)).toEqual([]);
      await client.close();
    },
  );

  test(
    'past --drain-seconds the call still running is cancelled and the process exits 0',
    { timeout: 90_000 },
    async () => {
      const server = await startHttp(['--workspace', dir, '--drain-seconds', '1']);
      const client = await connect(server.url);
      const call = run(client, waitFor('never'), { timeout_seconds: 300 });
      await until(
        async () =>
          sample(
            (await get(server.port, '/metrics', { Authorization: `Bearer ${TOKEN}` })).body,
            'isolated_pymcp_runs_in_progress',
          ) === 1,
        30_000,
        'running',
      );
      const pids = [server.pid, ...descendants(server.pid)];
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.stderr()).toContain('drain ended by its deadline');
      // The client is not left waiting: its call is answered, and the answer says why.
      const result = await call;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Error (shutting_down): the server stopped');
      expect(await waitGone(pids, 10_000)).toEqual([]);
      await client.close();
    },
  );
});
