/**
 * Sessions and what a run returns, driven through the built CLI over stdio with the SDK Client.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { SessionInfo } from '../../src/sandbox/executor.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, structured, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';

function sessionOf(result: CallToolResult): SessionInfo {
  expect(result.isError, textOf(result)).not.toBe(true);
  return result.structuredContent as unknown as SessionInfo;
}

async function createSession(server: ServerUnderTest): Promise<string> {
  return sessionOf(await server.call('create_session', {})).session_id;
}

describe('sessions', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('create_session returns an id that run_python_code accepts', async () => {
    const created = await server.call('create_session', {});
    const info = sessionOf(created);
    expect(info.session_id).toMatch(/^s-/);
    expect(info.runs).toBe(0);
    expect(textOf(created)).toContain(info.session_id);
    const result = await server.run('1 + 1', { session_id: info.session_id });
    expect(structured(result)).toMatchObject({ status: 'completed', session_id: info.session_id });
    await server.call('close_session', { session_id: info.session_id });
  });

  test('keeps variables, imports and /tmp files across calls', async () => {
    const id = await createSession(server);
    await server.run(
      'import json\nx = 41\nwith open("/tmp/note.txt", "w") as f:\n    f.write("kept")',
      { session_id: id },
    );
    const result = await server.run(
      '{"x": x + 1, "json": json.dumps([1]), "file": open("/tmp/note.txt").read()}',
      {
        session_id: id,
      },
    );
    expect(structured(result)).toMatchObject({
      status: 'completed',
      return_value: { x: 42, json: '[1]', file: 'kept' },
      state_kept: true,
      session_id: id,
    });
    await server.call('close_session', { session_id: id });
  });

  test('fresh calls see neither session state nor each other', async () => {
    const id = await createSession(server);
    await server.run('secret_var = "session"\nopen("/tmp/session.txt", "w").write("s")', {
      session_id: id,
    });
    const first = await server.run(
      'fresh_var = 1\nopen("/tmp/fresh.txt", "w").write("f")\nfresh_var',
    );
    expect(structured(first)).toMatchObject({
      status: 'completed',
      return_value: 1,
      session_id: null,
    });
    const probe = [
      'import os',
      '{"secret_var": "secret_var" in globals(), "fresh_var": "fresh_var" in globals(),',
      ' "files": sorted(os.listdir("/tmp"))}',
    ].join('\n');
    const second = await server.run(probe);
    // Every sandbox starts with an empty outputs directory and nothing else in /tmp.
    expect(structured(second).return_value).toEqual({
      secret_var: false,
      fresh_var: false,
      files: ['outputs'],
    });
    // The session still has its own state and not the fresh call's.
    const inSession = await server.run(probe, { session_id: id });
    expect(structured(inSession).return_value).toEqual({
      secret_var: true,
      fresh_var: false,
      files: ['outputs', 'session.txt'],
    });
    await server.call('close_session', { session_id: id });
  });

  test('a timeout inside a session interrupts the code and keeps its state', async () => {
    const id = await createSession(server);
    await server.run('before = "still here"', { session_id: id });
    const timedOut = await server.run('import time\ntime.sleep(30)', {
      session_id: id,
      timeout_seconds: 1,
    });
    expect(timedOut.isError).toBe(true);
    expect(structured(timedOut)).toMatchObject({ status: 'timed_out', state_kept: true });
    expect(structured(timedOut).error?.type).toBe('TimeoutError');
    const after = await server.run('before', { session_id: id });
    expect(structured(after)).toMatchObject({ status: 'completed', return_value: 'still here' });
    expect(structured(after).notice).toBeNull();
    await server.call('close_session', { session_id: id });
  });

  test('reset_session clears the state and keeps the id', async () => {
    const id = await createSession(server);
    await server.run('y = 5\nopen("/tmp/y.txt", "w").write("y")', { session_id: id });
    const reset = sessionOf(await server.call('reset_session', { session_id: id }));
    expect(reset.session_id).toBe(id);
    expect(reset.runs).toBe(0);
    const after = await server.run('import os\n["y" in globals(), os.listdir("/tmp")]', {
      session_id: id,
    });
    expect(structured(after)).toMatchObject({
      status: 'completed',
      return_value: [false, ['outputs']],
    });
    await server.call('close_session', { session_id: id });
  });

  test('list_sessions shows an open session and not a closed one', async () => {
    const id = await createSession(server);
    await server.run('1', { session_id: id });
    const listed = await server.call('list_sessions', {});
    const { sessions } = listed.structuredContent as { sessions: SessionInfo[] };
    expect(sessions.find((s) => s.session_id === id)).toMatchObject({ runs: 1, running: false });
    expect(textOf(listed)).toContain(id);
    await server.call('close_session', { session_id: id });
    const after = await server.call('list_sessions', {});
    const remaining = (after.structuredContent as { sessions: SessionInfo[] }).sessions;
    expect(remaining.map((s) => s.session_id)).not.toContain(id);
  });

  test('using a closed session is an error that says so', async () => {
    const id = await createSession(server);
    const closed = await server.call('close_session', { session_id: id });
    expect(closed.isError).not.toBe(true);
    expect(closed.structuredContent).toEqual({ session_id: id, closed: true });
    const result = await server.run('1', { session_id: id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no session .* create_session/);
    expect(textOf(result)).toContain(id);
    const again = await server.call('close_session', { session_id: id });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/no session/);
  });

  test('an unknown session id is rejected by every session tool', async () => {
    const id = 's-doesnotexist';
    for (const result of [
      await server.run('1', { session_id: id }),
      await server.call('reset_session', { session_id: id }),
      await server.call('close_session', { session_id: id }),
    ]) {
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('no session "s-doesnotexist"');
    }
  });

  /** Start a slow call in `sessionId` and cancel it from the client after it began. */
  async function cancelSlowCall(sessionId: string): Promise<void> {
    const controller = new AbortController();
    const call = server.client.callTool(
      {
        name: 'run_python_code',
        arguments: { python_code: 'import time\ntime.sleep(30)', session_id: sessionId },
      },
      undefined,
      { signal: controller.signal },
    );
    await expect
      .poll(async () => {
        const listed = await server.call('list_sessions', {});
        const { sessions } = listed.structuredContent as { sessions: SessionInfo[] };
        return sessions.find((s) => s.session_id === sessionId)?.running;
      })
      .toBe(true);
    controller.abort('the test cancels');
    await expect(call).rejects.toThrow();
  }

  test('cancelling a call interrupts the code and keeps the session state', async () => {
    const id = await createSession(server);
    await server.run('kept = "yes"', { session_id: id });
    await cancelSlowCall(id);
    // The client has no response to wait for; a careful client watches list_sessions.
    await expect
      .poll(
        async () => {
          const listed = await server.call('list_sessions', {});
          const { sessions } = listed.structuredContent as { sessions: SessionInfo[] };
          return sessions.find((s) => s.session_id === id)?.running;
        },
        { timeout: 10_000 },
      )
      .toBe(false);
    const after = await server.run('kept', { session_id: id });
    expect(after.isError, textOf(after)).toBe(false);
    const run = structured(after);
    expect(run.status).toBe('completed');
    // The interrupt reaches the code even when it comes before the code starts: state is kept.
    expect(run.return_value).toBe('yes');
    await server.call('close_session', { session_id: id });
  });

  test('a call right after cancelling one in the same session is not refused as busy', async () => {
    const id = await createSession(server);
    await server.run('kept = "yes"', { session_id: id });
    await cancelSlowCall(id);
    // Straight after the cancel, as a client would: it has nothing else to wait for.
    const after = await server.run('kept', { session_id: id });
    expect(after.isError, textOf(after)).toBe(false);
    const run = structured(after);
    expect(run.status).toBe('completed');
    // The interrupt reaches the code even when it comes before the code starts: state is kept.
    expect(run.return_value).toBe('yes');
    await server.call('close_session', { session_id: id });
  });
});

describe('the session cap', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace', '--max-sessions', '2', '--pool-size', '1']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('a third create_session past --max-sessions 2 fails and names the limit', async () => {
    const a = await createSession(server);
    const b = await createSession(server);
    const third = await server.call('create_session', {});
    expect(third.isError).toBe(true);
    expect(textOf(third)).toMatch(/limit 2/);
    expect(textOf(third)).toMatch(/close_session/);
    // Closing one makes room again.
    await server.call('close_session', { session_id: a });
    const c = await createSession(server);
    for (const id of [b, c]) await server.call('close_session', { session_id: id });
  });
});

describe('what a run returns', () => {
  let server: ServerUnderTest;
  let workspace: string;
  beforeAll(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), 'pymcp-ws-'));
    chmodSync(workspace, 0o755);
    const pkg = path.join(workspace, 'algorithms');
    mkdirSync(pkg, { mode: 0o755 });
    chmodSync(pkg, 0o755);
    writeFileSync(path.join(pkg, '__init__.py'), '', { mode: 0o644 });
    writeFileSync(
      path.join(pkg, 'factorial.py'),
      [
        'def factorial_iterative(n):',
        '    result = 1',
        '    for i in range(2, n + 1):',
        '        result *= i',
        '    return result',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    server = await startServer(['--workspace', workspace]);
  });
  afterAll(async () => {
    const survivors = await server.close();
    rmSync(workspace, { recursive: true, force: true });
    expect(survivors).toEqual([]);
  });

  test('top-level await works and returns the last expression', async () => {
    const result = await server.run('import asyncio\nawait asyncio.sleep(0.01)\n7');
    expect(structured(result)).toMatchObject({ status: 'completed', return_value: 7 });
  });

  test('global_variables are injected', async () => {
    const result = await server.run('a * 21', { global_variables: { a: 2 } });
    expect(structured(result)).toMatchObject({ status: 'completed', return_value: 42 });
  });

  test('a dict or list comes back as a JSON value', async () => {
    const dict = await server.run('{"a": [1, 2.5, None, True], "b": {"c": "d"}}');
    expect(structured(dict)).toMatchObject({
      return_value: { a: [1, 2.5, null, true], b: { c: 'd' } },
      return_value_kind: 'json',
    });
    const list = await server.run('[1, "two", [3]]');
    expect(structured(list)).toMatchObject({
      return_value: [1, 'two', [3]],
      return_value_kind: 'json',
    });
  });

  test('a set comes back as a list', async () => {
    const result = await server.run('{3, 1, 2}');
    expect(structured(result)).toMatchObject({
      return_value: [1, 2, 3],
      return_value_kind: 'json',
    });
  });

  test('a custom object comes back as its repr', async () => {
    const result = await server.run(
      'class Point:\n    def __repr__(self):\n        return "Point(1, 2)"\nPoint()',
    );
    expect(structured(result)).toMatchObject({
      return_value: 'Point(1, 2)',
      return_value_kind: 'repr',
    });
    expect(textOf(result)).toContain('<return_value>\nPoint(1, 2)\n</return_value>');
  });

  test('None gives no return value', async () => {
    const result = await server.run('print("hi")\nNone');
    expect(structured(result)).toMatchObject({ return_value: null, return_value_kind: 'none' });
    expect(textOf(result)).not.toContain('<return_value>');
    expect(textOf(result)).toBe('<status>success</status>\n<output>\nhi\n</output>');
  });

  test('an exception is a run-error with a user-only traceback', async () => {
    const result = await server.run('x = 1\n1/0');
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^<status>run-error<\/status>/);
    expect(text).toMatch(/<error>\n[\s\S]*<\/error>/);
    expect(text).toContain('File "main.py", line 2');
    expect(text).toContain('ZeroDivisionError');
    expect(text).not.toContain('worker.py');
    const run = structured(result);
    expect(run.status).toBe('raised');
    expect(run.error).toMatchObject({ type: 'ZeroDivisionError', message: 'division by zero' });
    expect(run.error?.traceback).not.toContain('worker.py');
  });

  test('stderr is captured separately from stdout', async () => {
    const result = await server.run(
      'import sys\nprint("to out")\nprint("to err", file=sys.stderr)\nprint("more out")',
    );
    expect(structured(result)).toMatchObject({
      status: 'completed',
      stdout: 'to out\nmore out\n',
      stderr: 'to err\n',
    });
    expect(textOf(result)).toContain('to out\nto err\nmore out');
  });

  test('modules in the workspace import with sys.path.append(".")', async () => {
    const result = await server.run(
      'import sys\nsys.path.append(".")\nfrom algorithms.factorial import factorial_iterative\nfactorial_iterative(5)',
    );
    expect(structured(result)).toMatchObject({ status: 'completed', return_value: 120 });
  });

  test('numpy imports and computes', async () => {
    const result = await server.run('import numpy as np\nint(np.arange(10).sum())');
    expect(structured(result)).toMatchObject({ status: 'completed', return_value: 45 });
  });
});

describe('concurrent resets', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace', '--pool-size', '1']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('racing reset_session calls leave one sandbox per session, not orphans', async () => {
    const id = await createSession(server);
    const sandboxesBefore = server.descendants().length;
    for (let i = 0; i < 5; i += 1) {
      await Promise.all([
        server.call('reset_session', { session_id: id }),
        server.call('reset_session', { session_id: id }),
      ]);
    }
    await server.call('close_session', { session_id: id });
    // Disposed sandboxes take a moment to exit; the pool refills to its size of 1.
    await expect
      .poll(() => server.descendants().length, { timeout: 10_000 })
      .toBeLessThanOrEqual(sandboxesBefore);
  }, 60_000);
});
