/** The Sandbox against the real bwrap and CPython, including deliberately misbehaving code. */
import { afterEach, describe, expect, test } from 'vitest';
import { parseConfig, type ConfigInput } from '../../src/shared/config.js';
import { silentLogger } from '../../src/shared/log.js';
import { createSandboxFactory } from '../../src/sandbox/sandbox-factory.js';
import type { Sandbox } from '../../src/sandbox/sandbox-process.js';
import { PymcpError } from '../../src/shared/errors.js';
import { descendants, waitGone } from '../helpers/processes.js';

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function sandbox(input: ConfigInput = {}) {
  const config = parseConfig({ workspace: null, ...input });
  const factory = await createSandboxFactory(config, silentLogger);
  const box = await factory.start();
  open.push(box);
  return { box, factory };
}

const run = (box: Sandbox, code: string, timeoutMs = 10_000, signal?: AbortSignal) =>
  box.run({ code, globals: null, timeoutMs, ...(signal && { signal }) });

describe('Sandbox', () => {
  test('keeps state between runs and returns the last expression', async () => {
    const { box } = await sandbox();
    expect(await run(box, 'x = 20')).toMatchObject({ kind: 'completed', returnValue: null });
    expect(await run(box, 'x + 22')).toMatchObject({
      kind: 'completed',
      returnValue: { kind: 'json', text: '42' },
    });
  });

  test('a timeout interrupts the code and keeps the sandbox', async () => {
    const { box } = await sandbox();
    await run(box, 'kept = "yes"');
    const outcome = await run(box, 'import time\ntime.sleep(30)', 300);
    expect(outcome).toMatchObject({
      kind: 'timed_out',
      stateKept: true,
      error: { type: 'KeyboardInterrupt' },
    });
    expect(await run(box, 'kept')).toMatchObject({
      kind: 'completed',
      returnValue: { text: '"yes"' },
    });
  });

  test('code that swallows the interrupt is killed after the grace period, with its whole process tree', async () => {
    const { box } = await sandbox({ limits: { interruptGraceMs: 200 } });
    const before = process.pid;
    const code = [
      'import subprocess, time',
      'subprocess.Popen(["sleep", "600"])',
      'while True:',
      '    try:',
      '        time.sleep(10)',
      '    except KeyboardInterrupt:',
      '        pass',
    ].join('\n');
    const pending = run(box, code, 300);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const tree = descendants(before);
    expect(tree.length).toBeGreaterThanOrEqual(3); // bwrap, its pid 1, python, sleep
    expect(await pending).toMatchObject({ kind: 'timed_out', stateKept: false });
    expect(box.isClosed).toBe(true);
    expect(await waitGone(tree)).toEqual([]);
  });

  test('cancellation through an AbortSignal interrupts the code', async () => {
    const { box } = await sandbox();
    const controller = new AbortController();
    const pending = run(box, 'import time\ntime.sleep(30)', 10_000, controller.signal);
    setTimeout(() => {
      controller.abort();
    }, 200);
    expect(await pending).toMatchObject({ kind: 'cancelled', stateKept: true });
    expect(await run(box, '1')).toMatchObject({ kind: 'completed' });
  });

  test('an interrupt that arrives before the code starts is not lost (state kept, no kill)', async () => {
    const { box } = await sandbox();
    await run(box, 'kept = 1');
    const controller = new AbortController();
    controller.abort();
    // The interrupt follows the run request at once, before the worker has begun the code.
    const outcome = await run(box, 'import time\ntime.sleep(30)', 10_000, controller.signal);
    expect(outcome).toMatchObject({ kind: 'cancelled', stateKept: true });
    expect(outcome.durationMs).toBeLessThan(1000);
    expect(await run(box, 'kept')).toMatchObject({ kind: 'completed', returnValue: { text: '1' } });
  });

  test('a MemoryError under the address-space limit is reported as memory_limit and the sandbox lives', async () => {
    const { box } = await sandbox({ limits: { memoryBytes: 256 * 1024 * 1024 } });
    expect(await run(box, 'b = bytearray(512 * 1024 * 1024)')).toMatchObject({
      kind: 'memory_limit',
      limitBytes: 256 * 1024 * 1024,
    });
    expect(await run(box, '2 + 2')).toMatchObject({ kind: 'completed' });
  });

  test('a RecursionError a million frames deep comes back as raised, with its first and last frames, and the sandbox lives', async () => {
    const { box } = await sandbox();
    await run(box, 'kept = 1');
    const code = 'import sys\nsys.setrecursionlimit(10**6)\ndef f(n): return f(n + 1)\nf(0)';
    // Formatting every frame took ~10 s, past this timeout, and the sandbox was killed.
    const outcome = await run(box, code, 8_000);
    expect(outcome).toMatchObject({ kind: 'raised', error: { type: 'RecursionError' } });
    const traceback = outcome.kind === 'raised' ? outcome.error.traceback : '';
    expect(traceback).toMatch(/line 4, in <module>\n {4}f\(0\)/);
    expect(traceback).toMatch(/frames? left out/);
    expect(traceback).toMatch(/RecursionError: maximum recursion depth exceeded\n?$/);
    expect(await run(box, 'kept')).toMatchObject({ kind: 'completed', returnValue: { text: '1' } });
  });

  test('the CPU-time limit kills a busy loop', async () => {
    const { box } = await sandbox({ limits: { cpuSeconds: 1 } });
    const outcome = await run(box, 'while True: pass', 20_000);
    expect(outcome.kind).toBe('killed');
    expect(outcome.kind === 'killed' && outcome.reason).toMatch(/CPU-time limit of 1 s/);
  });

  test('code forging protocol messages on fd 3 gets its sandbox killed', async () => {
    const { box } = await sandbox();
    const forged = JSON.stringify({
      type: 'result',
      id: 999,
      status: 'completed',
      output: [],
      dropped_bytes: [0, 0],
    });
    const outcome = await run(
      box,
      `import os\nos.write(3, b'${forged}\\n')\nimport time\ntime.sleep(5)`,
    );
    expect(outcome).toMatchObject({ kind: 'killed', reason: expect.stringMatching(/protocol/) });
  });

  test('garbage on fd 3 gets its sandbox killed', async () => {
    const { box } = await sandbox();
    const outcome = await run(
      box,
      `import os\nos.write(3, b'not json\\n')\nimport time\ntime.sleep(5)`,
    );
    expect(outcome).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(/invalid message/),
    });
  });

  test('os._exit ends the sandbox with a clear reason', async () => {
    const { box } = await sandbox();
    expect(await run(box, 'import os\nos._exit(7)')).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(/status 7/),
    });
    await expect(run(box, '1')).rejects.toBeInstanceOf(PymcpError);
  });

  test('a sandbox that cannot start reports why', async () => {
    const config = parseConfig({ workspace: null });
    const factory = await createSandboxFactory(config, silentLogger);
    const broken = {
      ...factory.spec,
      environment: { ...factory.spec.environment, interpreter: '/usr/bin/no-such-python' },
    };
    const { Sandbox } = await import('../../src/sandbox/sandbox-process.js');
    await expect(Sandbox.start(broken)).rejects.toThrow(
      /sandbox exited during start-up.*no-such-python/s,
    );
  });
});
