/**
 * The first sandbox started while the interpreter is probed (start-up time): it must be exactly
 * the sandbox the probe describes, and a virtual environment must never get a system sandbox.
 */
import { constants, readFileSync } from 'node:fs';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/shared/config.js';
import { silentLogger } from '../../src/shared/log.js';
import { createSandboxFactory } from '../../src/sandbox/sandbox-factory.js';
import type { Sandbox } from '../../src/sandbox/sandbox-process.js';
import { descendants, waitGone } from '../helpers/processes.js';
import { makeVenv } from '../helpers/venv.js';

/** The mismatch fixture goes under /usr (where a sandbox may start early): root only. */
const usrWritable = await access('/usr/local/lib', constants.W_OK).then(
  () => true,
  () => false,
);

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

  // A wrapper script under /usr is foreseen as the interpreter, but the probe finds the Python it
  // starts: the foreseen sandbox is not the probed one.
  test.skipIf(!usrWritable)(
    'that differs from the probed one never serves, and is killed',
    async () => {
      const dir = await mkdtemp('/usr/local/lib/pymcp-early-');
      dirs.push(dir);
      await chmod(dir, 0o755);
      const wrapper = path.join(dir, 'python');
      await writeFile(wrapper, '#!/bin/sh\nexec /usr/bin/python3 "$@"\n', { mode: 0o755 });
      const runsWrapper = (pid: number): boolean => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(wrapper);
        } catch {
          return false;
        }
      };
      let early: number[] = [];
      const factory = await createSandboxFactory(
        parseConfig({ workspace: null, python: wrapper }),
        silentLogger,
        {
          startEarly: true,
          spawned: () => {
            early = descendants(process.pid).filter(runsWrapper);
          },
        },
      );
      // It was started on the wrapper, and the probe found another interpreter.
      expect(early.length).toBeGreaterThan(0);
      expect(factory.environment.interpreter).not.toBe(wrapper);
      const box = await factory.start();
      open.push(box);
      expect(await value(box, 'import sys; sys.prefix')).toBe('/usr');
      // Security: the early sandbox is gone, and no sandbox of this process runs the wrapper.
      expect(await waitGone(early)).toEqual([]);
      expect(descendants(process.pid).filter(runsWrapper)).toEqual([]);
    },
  );

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
