/**
 * The first sandbox started while the interpreter is probed (start-up time): it must be exactly
 * the sandbox the probe describes, and a virtual environment must never get a system sandbox.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/shared/config.js';
import { silentLogger } from '../../src/shared/log.js';
import { createSandboxFactory } from '../../src/sandbox/sandbox-factory.js';
import type { Sandbox } from '../../src/sandbox/sandbox-process.js';
import { descendants, waitGone } from '../helpers/processes.js';
import { makeVenv } from '../helpers/venv.js';

const open: Sandbox[] = [];
const dirs: string[] = [];
afterEach(async () => {
  const pids = descendants(process.pid);
  await Promise.all(open.splice(0).map((s) => s.close()));
  expect(await waitGone(pids)).toEqual([]);
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const value = async (box: Sandbox, code: string): Promise<unknown> => {
  const outcome = await box.run({ code, globals: null, timeoutMs: 10_000 });
  if (outcome.kind !== 'completed' || outcome.returnValue === null)
    throw new Error(`the probe ended with ${outcome.kind}`);
  return JSON.parse(outcome.returnValue.text);
};

describe('a sandbox started early', () => {
  test('is already starting when the factory is ready, and runs the probed interpreter', async () => {
    const factory = await createSandboxFactory(parseConfig({ workspace: null }), silentLogger, {
      startEarly: true,
    });
    // Started during the probe, before anyone asked: the sandbox's bwrap is a child already.
    expect(descendants(process.pid).length).toBeGreaterThan(0);
    const box = await factory.start();
    open.push(box);
    expect(await value(box, 'import sys; [sys.executable, sys.prefix]')).toEqual([
      factory.environment.interpreter,
      '/usr',
    ]);
    // Taken once: the next start() is a new sandbox.
    const second = await factory.start();
    open.push(second);
    expect(second).not.toBe(box);
  });

  test('is not started for a workspace with a virtual environment, which the sandbox runs', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'pymcp-early-'));
    dirs.push(workspace);
    // The sandbox runs as uid 65534 under root: it must reach the workspace.
    await chmod(workspace, 0o755);
    const venv = await makeVenv(path.join(workspace, '.venv'));
    const factory = await createSandboxFactory(parseConfig({ workspace }), silentLogger, {
      startEarly: true,
    });
    expect(factory.environment.venv?.root).toBe(venv.root);
    expect(descendants(process.pid)).toEqual([]);
    const box = await factory.start();
    open.push(box);
    expect(await value(box, 'import sys; sys.prefix')).toBe(venv.root);
  });
});
