/**
 * Parallel tool calls wait for a run slot instead of being refused: the built server over stdio
 * with the real SDK client, its calls issued at once as agents do.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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

  test('a call cancelled while it waits ends at once; the running calls and the server go on', async () => {
    const blockers = [0, 1].map(() => server.run('import time\ntime.sleep(2)\n"blocker"'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const controller = new AbortController();
    const cancelled = server.client
      .callTool(
        { name: 'run_python_code', arguments: { python_code: 'print("ran")' } },
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
    const after = await server.run('"still serving"');
    expect(structured(after).return_value).toBe('still serving');
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
