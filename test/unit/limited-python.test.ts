import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { LIMITED_PYTHON, limitedPythonScript, settingsOptions } from '../../src/lsp/lsp-sandbox.js';
import type { PythonEnvironment } from '../../src/shared/python-environment.js';

const venvAt = (interpreter: string): PythonEnvironment => ({
  interpreter,
  version: '3.11.2',
  mounts: ['/srv/w'],
  sysPath: [],
  venv: { root: '/srv/w/.venv', source: 'workspace', includeSystemSitePackages: false },
});

/** The words the script's exec line would run, as sh splits them (printf instead of exec). */
function words(script: string, args: string[]): string[] {
  const printing = script.replace(/^exec /m, "printf '%s\\0' ");
  return execFileSync('/bin/sh', ['-c', printing, 'sh', ...args], { env: {} })
    .toString('utf8')
    .split('\0')
    .slice(0, -1);
}

describe("the language servers' limited interpreter", () => {
  test('runs the venv interpreter niced and under prlimit, passing its arguments through', () => {
    const script = limitedPythonScript({
      environment: venvAt('/srv/w/.venv/bin/python'),
      prlimit: '/usr/bin/prlimit',
    });
    expect(script?.startsWith('#!/bin/sh\n')).toBe(true);
    expect(words(script ?? '', ['-I', '-c', 'print(1)'])).toEqual([
      '/usr/bin/nice',
      '-n',
      '10',
      '/usr/bin/prlimit',
      '--nproc=64',
      '--nofile=1024',
      `--as=${4 * 1024 ** 3}`,
      '--cpu=600',
      `--fsize=${64 * 1024 ** 2}`,
      '--core=0',
      '--nice=0',
      '--',
      '/srv/w/.venv/bin/python',
      '-I',
      '-c',
      'print(1)',
    ]);
  });

  test('a hostile venv path stays one word: quotes, $(...), backquotes, newlines', () => {
    const hostile = "/srv/w/it's $(touch /tmp/x) `id`\n; rm -rf / #/bin/python";
    const script = limitedPythonScript({ environment: venvAt(hostile), prlimit: '/p' });
    const run = words(script ?? '', []);
    expect(run[run.length - 1]).toBe(hostile);
    expect(run).toHaveLength(13);
  });

  test('the system interpreter, or no prlimit: no script, the interpreter itself', () => {
    const system: PythonEnvironment = { ...venvAt('/usr/bin/python3'), venv: null };
    expect(limitedPythonScript({ environment: system, prlimit: '/usr/bin/prlimit' })).toBeNull();
    const venv = venvAt('/srv/w/.venv/bin/python');
    expect(limitedPythonScript({ environment: venv, prlimit: null })).toBeNull();
    expect(settingsOptions({ environment: venv, workspace: null, prlimit: null })).toMatchObject({
      pythonPath: '/srv/w/.venv/bin/python',
      jediEnvironment: '/srv/w/.venv/bin/python',
    });
    expect(
      settingsOptions({ environment: venv, workspace: null, prlimit: '/usr/bin/prlimit' }),
    ).toMatchObject({ pythonPath: LIMITED_PYTHON.path, jediEnvironment: LIMITED_PYTHON.path });
  });
});
