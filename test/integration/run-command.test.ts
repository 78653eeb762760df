/** runCommand's timeout against real misbehaving processes. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCommand } from '../../src/shared/process.js';
import { waitGone } from '../helpers/processes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pymcp-run-command-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a timed-out command is killed with the processes it started (a hanging --python script)', async () => {
  const pids = path.join(dir, 'pids');
  const script = path.join(dir, 'hang.sh');
  // What `doctor --python` met: a wrapper script whose child hangs; only the script was killed.
  await writeFile(script, `#!/bin/sh\nsleep 1000 &\necho $! > ${pids}\nsleep 1000\n`, {
    mode: 0o755,
  });
  const result = await runCommand(script, [], { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 500 });
  expect(result.timedOut).toBe(true);
  expect(result.exitCode).toBeNull();
  const background = Number((await readFile(pids, 'utf8')).trim());
  expect(background).toBeGreaterThan(0);
  await expect(waitGone([background], 2000)).resolves.toEqual([]);
});

test('a command that finishes in time is not marked timed out', async () => {
  const result = await runCommand('/bin/sh', ['-c', 'echo hi'], {
    env: { PATH: '/usr/bin:/bin' },
    timeoutMs: 10_000,
  });
  expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'hi\n' });
});
