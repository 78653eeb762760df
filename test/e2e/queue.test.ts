/**
 * Parallel tool calls wait for a run slot instead of being refused, and clients share the slots
 * fairly: the built server over stdio and HTTP with the real SDK client, calls issued at once as
 * agents do.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, startHttp, type HttpServerProcess } from '../helpers/http.js';
import { startServer, structured, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';

describe('parallel calls past --max-concurrent', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace', '--max-concurrent', '2', '--max-queued', '40']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('twenty parallel calls all run, each with its own answer; none is refused as busy', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => server.run(`import time\ntime.sleep(0.1)\n${i} * 2`)),
    );
    expect(results.map((r) => textOf(r)).filter((t) => /busy/.test(t))).toEqual([]);
    expect(results.map((r) => structured(r).return_value)).toEqual(
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
  });

  test('a call waiting in the queue sends progress notifications when the client asked for them', async () => {
    const blockers = [0, 1].map(() => server.run('import time\ntime.sleep(2.5)\n"blocker"'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const messages: string[] = [];
    const waited = (await server.client.callTool(
      { name: 'run_python_code', arguments: { python_code: '"after the wait"' } },
      undefined,
      {
        onprogress: (progress) => {
          messages.push(progress.message ?? '');
        },
      },
    )) as CallToolResult;
    expect(structured(waited).return_value).toBe('after the wait');
    expect(messages.length).toBeGreaterThan(0);
    expect(messages[0]).toMatch(/waiting for a free sandbox: 2 calls running/);
    await Promise.all(blockers);
  });

  test('a call cancelled while it waits never runs; the running calls and the server go on', async () => {
    const session = structured(await server.call('create_session', {})).session_id as string;
    const blockers = [0, 1].map(() => server.run('import time\ntime.sleep(2)\n"blocker"'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const controller = new AbortController();
    const cancelled = server.client
      .callTool(
        {
          name: 'run_python_code',
          arguments: { python_code: 'ran_after_cancel = True', session_id: session },
        },
        undefined,
        { signal: controller.signal },
      )
      .then(
        () => 'answered',
        (error: unknown) => error,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort('changed my mind');
    expect(await cancelled).not.toBe('answered');
    const results = await Promise.all(blockers);
    expect(results.map((r) => structured(r).return_value)).toEqual(['blocker', 'blocker']);
    // Had the cancelled call run once a slot freed, the session would hold its variable.
    const after = await server.run("'ran_after_cancel' in globals()", { session_id: session });
    expect(structured(after).return_value).toBe(false);
    await server.call('close_session', { session_id: session });
  });
});

describe('a session after a cancelled call', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('two calls racing for it run one at a time: neither kills the other or the session state', async () => {
    const session = structured(await server.call('create_session', {})).session_id as string;
    await server.run('kept = 41', { session_id: session });
    const controller = new AbortController();
    const looping = server.client
      .callTool(
        {
          name: 'run_python_code',
          arguments: {
            python_code: 'import time\nwhile True: time.sleep(0.01)',
            session_id: session,
          },
        },
        undefined,
        { signal: controller.signal },
      )
      .catch(() => 'cancelled');
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort();
    await looping;
    const [b, c] = await Promise.all([
      server.run('kept += 1\nkept', { session_id: session }),
      server.run('kept += 1\nkept', { session_id: session }),
    ]);
    const outcomes = [b, c].map((r) => (r.isError === true ? textOf(r) : structured(r).status));
    // One runs; the other is refused as busy (never killed mid-run, never a lost session).
    expect(outcomes.filter((o) => o === 'completed')).toHaveLength(1);
    expect(outcomes.filter((o) => /busy/.test(o))).toHaveLength(1);
    const after = await server.run('kept', { session_id: session });
    expect(structured(after).return_value).toBe(42);
  });
});

describe('a full queue', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace', '--max-concurrent', '1', '--max-queued', '1']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('past --max-queued a call gets a clear busy error; the others run', async () => {
    const slow = 'import time\ntime.sleep(1.5)\n"done"';
    const results = await Promise.all([server.run(slow), server.run(slow), server.run(slow)]);
    const done = results.filter((r) => r.isError === false);
    const busy = results.filter((r) => r.isError === true);
    expect(done).toHaveLength(2);
    expect(busy).toHaveLength(1);
    expect(textOf(busy[0]!)).toMatch(/busy.*queue limit 1.*retry/);
  });

  test('a call that cannot get a slot within its own timeout is refused as busy', async () => {
    const slow = server.run('import time\ntime.sleep(3)\n"done"');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const impatient = await server.run('"never"', { timeout_seconds: 1 });
    expect(impatient.isError).toBe(true);
    expect(textOf(impatient)).toMatch(/busy: waited 1 s/);
    expect(structured(await slow).return_value).toBe('done');
  });
});

describe('fairness across HTTP sessions', () => {
  let server: HttpServerProcess;
  beforeAll(async () => {
    server = await startHttp(['--max-concurrent', '2']);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  test("one client's batch of calls cannot make another client wait for all of it", async () => {
    const [batcher, other] = await Promise.all([connect(server.url), connect(server.url)]);
    try {
      const finished: string[] = [];
      const slow = (label: string, client: Client) =>
        client
          .callTool({
            name: 'run_python_code',
            arguments: { python_code: `import time\ntime.sleep(1)\n${JSON.stringify(label)}` },
          })
          .then((result) => {
            expect(structured(result as CallToolResult).return_value).toBe(label);
            finished.push(label);
          });
      const batch = Array.from({ length: 6 }, (_, i) => slow(`batch-${i}`, batcher));
      // The batch is queued at the server before the other client asks.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await slow('other', other);
      await Promise.all(batch);
      // First come, first served would answer 'other' after all six; fair queueing gives it
      // the first slot that frees (at most the batch's running calls and one more finish first).
      expect(finished.indexOf('other')).toBeLessThanOrEqual(3);
    } finally {
      await Promise.all([batcher.close(), other.close()]);
    }
  });
});
