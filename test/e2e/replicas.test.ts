/**
 * Three `serve --http` replicas behind a real nginx, configured by deploy/nginx/generate.js:
 * new sessions spread over every replica, each session's calls land on the replica that holds
 * it, and when a replica is killed its clients get 404 (not a hang, not a 502), start a new
 * session elsewhere, and the other replicas' sessions lose nothing; a draining replica's call in
 * flight finishes through nginx while new sessions go to the others.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  freePort,
  jsonRpcError,
  raw,
  startHttp,
  TOKEN,
  until,
  type HttpServerProcess,
} from '../helpers/http.js';
import { ROOT, structured, textOf } from '../helpers/mcp-client.js';
import { descendants, waitGone } from '../helpers/processes.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => existsSync(file));
const REPLICAS = ['r1', 'r2', 'r3'] as const;
const CLIENTS = 30;
const READS = 4;
/** A call through a killed replica must fail within this; a hang would otherwise go unnoticed. */
const CALL_TIMEOUT_MS = 30_000;

if (NGINX === undefined) {
  console.warn(
    'replicas.test.ts: SKIPPED: nginx is not installed (apt-get install nginx, or make setup)',
  );
}

interface Agent {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** The replica its session id names. */
  replica: string;
  /** Its Python session, holding x = its number. */
  pythonSession: string;
  n: number;
}

describe.skipIf(NGINX === undefined)('replicas behind nginx', () => {
  let dir: string;
  let nginx: ChildProcess | undefined;
  let nginxPort: number;
  let url: string;
  const replicas = new Map<string, HttpServerProcess>();
  const agents: Agent[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pymcp-nginx-'));
    // nginx's workers run as nobody when the test runs as root: they must reach the temp dirs.
    chmodSync(dir, 0o755);
    nginxPort = await freePort();
    const started = await Promise.all(
      REPLICAS.map((id) =>
        startHttp([
          '--replica-id',
          id,
          '--allowed-host',
          `127.0.0.1:${nginxPort}`,
          '--max-sessions',
          '64',
          '--workspace',
          dir,
          '--log-level',
          'warn',
        ]),
      ),
    );
    REPLICAS.forEach((id, i) => replicas.set(id, started[i]!));
    const conf = execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'deploy/nginx/generate.js'),
        ...REPLICAS.flatMap((id, i) => ['--replica', `${id}=127.0.0.1:${started[i]!.port}`]),
        '--listen',
        `127.0.0.1:${nginxPort}`,
        '--runtime-dir',
        dir,
      ],
      { encoding: 'utf8' },
    );
    writeFileSync(path.join(dir, 'nginx.conf'), conf);
    nginx = spawn(
      NGINX!,
      [
        '-p',
        dir,
        '-c',
        path.join(dir, 'nginx.conf'),
        '-e',
        path.join(dir, 'error.log'),
        '-g',
        'daemon off;',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    url = `http://127.0.0.1:${nginxPort}/mcp`;
    await untilNginxAnswers(nginxPort, nginx, dir);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(agents.map((agent) => agent.client.close()));
    const pids = [...replicas.values()].flatMap((r) => [r.pid, ...descendants(r.pid)]);
    await Promise.all([...replicas.values()].map((r) => r.stop('SIGTERM')));
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      await exited;
    }
    expect(await waitGone(pids, 10_000)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test(
    'sessions spread over the 3 replicas and stay pinned; a killed replica answers 404 and its clients recover',
    { timeout: 150_000 },
    async () => {
      // 30 clients, each with a session of its own, all through nginx.
      for (let n = 0; n < CLIENTS; n += 1) agents.push(await agentThrough(url, n));
      const perReplica = countBy(agents.map((a) => a.replica));
      for (const id of REPLICAS)
        expect(perReplica.get(id) ?? 0, `sessions on ${id}`).toBeGreaterThan(0);
      expect([...perReplica.keys()].sort()).toEqual([...REPLICAS]);
      // Each replica holds exactly the MCP sessions whose ids name it.
      for (const id of REPLICAS) {
        const metrics = await scrape(replicas.get(id)!.port);
        expect(sample(metrics, 'isolated_pymcp_mcp_sessions_open')).toBe(perReplica.get(id));
      }

      // Every session reads back its own variable, again and again: a call sent to another
      // replica would find no such MCP session (404) or no such Python session.
      await Promise.all(agents.map((agent) => expectReads(agent, READS)));
      // And each replica answered exactly the calls of its own sessions (create, set, reads).
      for (const id of REPLICAS) {
        const metrics = await scrape(replicas.get(id)!.port);
        const calls = sample(metrics, 'isolated_pymcp_tool_calls_total', {
          tool: 'run_python_code',
          outcome: 'ok',
        });
        expect(calls, `run_python_code calls answered by ${id}`).toBe(
          (perReplica.get(id) ?? 0) * (1 + READS),
        );
      }

      // Kill r2 outright: it answers nothing from now on.
      const victim = replicas.get('r2')!;
      const orphans = descendants(victim.pid);
      expect(await victim.stop('SIGKILL')).toBeNull();
      replicas.delete('r2');
      // Its sandboxes die with it (bubblewrap's --die-with-parent).
      expect(await waitGone(orphans, 10_000)).toEqual([]);

      const lost = agents.filter((a) => a.replica === 'r2');
      const kept = agents.filter((a) => a.replica !== 'r2');
      // Each of its clients gets 404, the signal to start a new session: no hang, no 502.
      for (const agent of lost) {
        const error = await callFails(agent.client, agent.pythonSession);
        expect(error).toBeInstanceOf(StreamableHTTPError);
        expect((error as StreamableHTTPError).code).toBe(404);
        expect((error as Error).message).toContain('the replica that held it is gone');
      }
      // The same at the HTTP level, for a raw request with an r2 session id.
      const rawGone = await raw(nginxPort, {
        headers: {
          'Mcp-Session-Id': lost[0]!.transport.sessionId!,
          'Mcp-Protocol-Version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
        timeoutMs: CALL_TIMEOUT_MS,
      });
      expect(rawGone.status).toBe(404);
      expect(jsonRpcError(rawGone).code).toBe(-32001);

      // They recover: a new client, a new session, on a live replica, with state that holds.
      for (const agent of lost) {
        await agent.client.close();
        const fresh = await agentThrough(url, agent.n);
        expect(['r1', 'r3']).toContain(fresh.replica);
        Object.assign(agent, fresh);
        await expectReads(agent, 2);
      }
      // The other replicas' sessions lost nothing: same MCP session, same Python variables.
      await Promise.all(kept.map((agent) => expectReads(agent, 2)));
      for (const agent of kept) {
        expect(agent.transport.sessionId?.startsWith(`${agent.replica}.`)).toBe(true);
      }

      // Drain r3 (SIGTERM) with a call in flight: new sessions go to r1, the call finishes.
      const draining = replicas.get('r3')!;
      const busy = agents.find((a) => a.replica === 'r3')!;
      const inFlight = runIn(
        busy.client,
        busy.pythonSession,
        "import os, time\nwhile not os.path.exists('/workspace/go'):\n    time.sleep(0.05)\nx",
      );
      await until(
        async () => {
          const metrics = await scrape(draining.port);
          return sample(metrics, 'isolated_pymcp_runs_in_progress') === 1;
        },
        30_000,
        'the call is running on r3',
      );
      draining.child.kill('SIGTERM');
      await until(
        // The draining check itself: a pool refilling under load also makes /readyz 503.
        async () =>
          (await raw(draining.port, { method: 'GET', path: '/readyz' })).body.includes(
            '"draining":true',
          ),
        30_000,
        'r3 is draining',
      );
      // r3 refuses initialize with 503; nginx sends it on to the next replica, r1.
      for (let n = 100; n < 104; n += 1) {
        const newcomer = await agentThrough(url, n);
        agents.push(newcomer);
        expect(newcomer.replica).toBe('r1');
      }
      writeFileSync(path.join(dir, 'go'), '');
      const finished = await inFlight;
      expect(structured(finished), textOf(finished)).toMatchObject({ return_value: busy.n });
      expect(await draining.stop()).toBe(0);
    },
  );
});

/** Connect through nginx, create a Python session holding x = n. */
async function agentThrough(url: string, n: number): Promise<Agent> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
  });
  const client = new Client({ name: `replica-agent-${n}`, version: '0.0.0' });
  await client.connect(transport);
  const sessionId = transport.sessionId ?? '';
  const replica = sessionId.slice(0, sessionId.indexOf('.'));
  expect(replica, `session id ${sessionId}`).toMatch(/^r[123]$/);
  const created = (await client.callTool({
    name: 'create_session',
    arguments: {},
  })) as CallToolResult;
  expect(created.isError, textOf(created)).not.toBe(true);
  const pythonSession = (created.structuredContent as { session_id: string }).session_id;
  const set = await runIn(client, pythonSession, `x = ${n}`);
  expect(set.isError, textOf(set)).not.toBe(true);
  return { client, transport, replica, pythonSession, n };
}

function runIn(client: Client, session: string, code: string): Promise<CallToolResult> {
  return client.callTool(
    { name: 'run_python_code', arguments: { python_code: code, session_id: session } },
    undefined,
    { timeout: CALL_TIMEOUT_MS },
  ) as Promise<CallToolResult>;
}

async function expectReads(agent: Agent, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const result = await runIn(agent.client, agent.pythonSession, 'x');
    expect(structured(result), textOf(result)).toMatchObject({ return_value: agent.n });
  }
}

/** The error of a call that must fail. */
async function callFails(client: Client, session: string): Promise<unknown> {
  try {
    await runIn(client, session, 'x');
  } catch (error) {
    return error;
  }
  throw new Error('the call through a killed replica succeeded');
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

async function scrape(port: number): Promise<string> {
  const response = await raw(port, { method: 'GET', path: '/metrics', timeoutMs: 10_000 });
  expect(response.status).toBe(200);
  return response.body;
}

/** The value of one sample of `name` whose labels include `labels`; undefined when absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const wanted = Object.entries(labels).every(([key, value]) =>
      (match[2] ?? '').includes(`${key}="${value}"`),
    );
    if (wanted) return Number(match[3]);
  }
  return undefined;
}

/** Wait until nginx answers on its port (a 404 for /), or fail with its error log. */
async function untilNginxAnswers(port: number, child: ChildProcess, dir: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) break;
    try {
      const response = await raw(port, { method: 'GET', path: '/', timeoutMs: 2000 });
      if (response.status === 404) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = existsSync(path.join(dir, 'error.log'))
    ? readFileSync(path.join(dir, 'error.log'), 'utf8')
    : '';
  throw new Error(`nginx did not start:\n${stderr}\n${log}`);
}
