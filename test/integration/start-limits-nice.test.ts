/**
 * The language servers' limited interpreter stays niced even when the host allows raising
 * priority (RLIMIT_NICE above 0, e.g. systemd's LimitNICE=): prlimit sets RLIMIT_NICE to 0, so a
 * venv's start-up code cannot undo `nice -n 10`. Needs root with CAP_SYS_RESOURCE, to start as
 * uid 65534 with a permissive RLIMIT_NICE (test/unit/limited-python.test.ts checks the flag).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { limitedPythonScript } from '../../src/lsp/lsp-sandbox.js';
import { PRLIMIT } from '../../src/shared/start-limits.js';

/** Root, and allowed to raise RLIMIT_NICE (CAP_SYS_RESOURCE; containers often drop it). */
const canTest =
  process.getuid?.() === 0 &&
  spawnSync(PRLIMIT, ['--nice=20', '--', '/bin/true'], { env: {} }).status === 0;
const dir = mkdtempSync(path.join(tmpdir(), 'pymcp-nice-'));
chmodSync(dir, 0o755);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canTest)('start-up code under the limited interpreter', () => {
  test('cannot raise its priority back, whatever RLIMIT_NICE the host gave it', () => {
    const script = limitedPythonScript({
      environment: {
        interpreter: '/usr/bin/python3',
        version: '3',
        mounts: [],
        sysPath: [],
        venv: { root: '/srv/w/.venv', source: 'workspace', includeSystemSitePackages: false },
      },
      prlimit: PRLIMIT,
    });
    const file = path.join(dir, 'python');
    writeFileSync(file, script ?? '', { mode: 0o755 });
    const code =
      'import os\ntry:\n    os.setpriority(os.PRIO_PROCESS, 0, 0)\nexcept OSError:\n    pass\n' +
      'print(os.getpriority(os.PRIO_PROCESS, 0))';
    const result = spawnSync(
      PRLIMIT,
      [
        '--nice=20',
        '--',
        '/usr/bin/setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--inh-caps=-all',
        '--bounding-set=-all',
        '--',
        file,
        '-I',
        '-c',
        code,
      ],
      { env: {}, encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('10');
  });
});
