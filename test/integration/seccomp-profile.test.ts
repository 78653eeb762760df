/**
 * The Kubernetes seccomp profile (deploy/kubernetes/seccomp/isolated-pymcp.json), loaded with
 * libseccomp as a container runtime loads it (test/helpers/seccomp-exec.py), around the real
 * CLI: the sandbox starts and runs numpy, pandas, threads and a subprocess under it; the
 * namespace calls outside what bwrap uses are refused; and a profile without mount breaks the
 * sandbox, so the profile is what these tests exercise.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram, type CliResult } from '../helpers/cli.js';
import { BIN, ROOT } from '../helpers/mcp-client.js';

const PYTHON = '/usr/bin/python3';
const LOADER = path.join(ROOT, 'test/helpers/seccomp-exec.py');
const PROFILE = path.join(ROOT, 'deploy/kubernetes/seccomp/isolated-pymcp.json');

function underProfile(profile: string, command: readonly string[]): Promise<CliResult> {
  return runProgram(PYTHON, [LOADER, profile, ...command], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
}

const WORKLOAD = [
  'import numpy as np, pandas as pd, threading, subprocess',
  "df = pd.DataFrame({'a': np.arange(10)})",
  't = threading.Thread(target=lambda: None); t.start(); t.join()',
  "print('sum', int(df.a.sum()), 'rc', subprocess.run(['/usr/bin/true']).returncode)",
].join('\n');

/** Raw syscalls on x86_64: what each namespace call answers under the profile (0 or errno). */
const PROBE = [
  'import ctypes',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'def call(nr, *args):',
  '    return 0 if libc.syscall(nr, *args) == 0 else ctypes.get_errno()',
  "print('unshare_newns', call(272, 0x00020000))",
  "print('setns', call(308, -1, 0))",
  "print('clone3', call(435, 0, 0))",
  "print('unshare_newuser', call(272, 0x10000000))",
].join('\n');

describe.runIf(process.arch === 'x64')('seccomp profile around the real server', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pymcp-seccomp-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets the sandbox start and run numpy, pandas, a thread and a subprocess', async () => {
    const result = await underProfile(PROFILE, [
      process.execPath,
      BIN,
      'run',
      '--no-workspace',
      '-c',
      WORKLOAD,
    ]);
    expect(result.stderr).not.toMatch(/bwrap:/);
    expect(result.stdout).toContain('sum 45 rc 0');
    expect(result.code).toBe(0);
  });

  it('refuses unshare beyond a user namespace and setns (EPERM), and clone3 with ENOSYS', async () => {
    const result = await underProfile(PROFILE, [PYTHON, '-c', PROBE]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'unshare_newns 1',
      'setns 1',
      'clone3 38',
      'unshare_newuser 0',
    ]);
  });

  it('breaks the sandbox when mount is taken out of it', async () => {
    const profile = JSON.parse(await readFile(PROFILE, 'utf8')) as {
      syscalls: Array<{ names: string[] }>;
    };
    for (const rule of profile.syscalls) rule.names = rule.names.filter((n) => n !== 'mount');
    const without = path.join(dir, 'no-mount.json');
    await writeFile(without, JSON.stringify(profile));
    const result = await underProfile(without, [
      process.execPath,
      BIN,
      'run',
      '--no-workspace',
      '-c',
      'print(1)',
    ]);
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}\n${result.stderr}`).toMatch(/mount|Operation not permitted/i);
  });
});
