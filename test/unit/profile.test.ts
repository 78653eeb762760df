import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/shared/config.js';
import {
  bwrapArgs,
  FDS,
  sandboxEnv,
  SANDBOX_PATHS,
  WORKER_HELPERS,
  type ProfileSpec,
} from '../../src/sandbox/profile.js';

const config = parseConfig({});
const spec = (overrides: Partial<ProfileSpec> = {}): ProfileSpec => ({
  environment: {
    interpreter: '/usr/bin/python3.11',
    version: '3.11.2',
    mounts: [],
    sysPath: [],
    venv: null,
  },
  workspace: '/srv/project',
  limits: config.limits,
  prlimit: null,
  layout: {
    roots: {
      '/bin': { kind: 'symlink', target: 'usr/bin' },
      '/lib': { kind: 'symlink', target: 'usr/lib' },
      '/lib64': { kind: 'dir' },
      '/sbin': { kind: 'missing' },
    },
    etc: ['/etc/ld.so.cache'],
  },
  ...overrides,
});

/** The bwrap options (everything before the Python command line). */
const options = (s: ProfileSpec): string[] => {
  const args = bwrapArgs(s);
  return args.slice(0, args.indexOf(s.environment.interpreter));
};

/** Every [flag, ...operands] group whose flag is `flag`. */
const groups = (args: string[], flag: string, arity: number): string[][] =>
  args.flatMap((a, i) => (a === flag ? [args.slice(i + 1, i + 1 + arity)] : []));

describe('bwrap profile', () => {
  test('unshares every namespace, forbids nested user namespaces and dies with the server', () => {
    const args = options(spec());
    for (const flag of [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
    ]) {
      expect(args).toContain(flag);
    }
    expect(groups(args, '--cap-drop', 1)).toEqual([['ALL']]);
  });

  test('runs the code as an unprivileged uid inside the sandbox', () => {
    const args = options(spec());
    expect(groups(args, '--uid', 1)).toEqual([['1000']]);
    expect(groups(args, '--gid', 1)).toEqual([['1000']]);
  });

  test('mounts only /usr, allowlisted /etc entries and the workspace, all read-only', () => {
    const args = options(spec());
    expect(args).not.toContain('--bind');
    expect(args).not.toContain('--dev-bind');
    const sources = groups(args, '--ro-bind', 2).map(([source]) => source);
    expect(sources).toEqual(['/usr', '/lib64', '/etc/ld.so.cache', '/srv/project']);
    expect(groups(args, '--ro-bind', 2)).toContainEqual(['/srv/project', SANDBOX_PATHS.workspace]);
  });

  test('mirrors merged-/usr symlinks and skips missing top-level directories', () => {
    const args = options(spec());
    expect(groups(args, '--symlink', 2)).toEqual([
      ['usr/bin', '/bin'],
      ['usr/lib', '/lib'],
    ]);
    expect(args.join(' ')).not.toContain('/sbin');
  });

  test('writable places are size-capped tmpfs mounts and the root is remounted read-only last', () => {
    const args = options(spec());
    const tmpfs = args.flatMap((a, i) => (a === '--tmpfs' ? [args.slice(i - 4, i + 2)] : []));
    expect(tmpfs).toEqual([
      ['--perms', '1777', '--size', String(config.limits.scratchBytes), '--tmpfs', '/tmp'],
      ['--perms', '1777', '--size', String(16 * 1024 * 1024), '--tmpfs', '/dev/shm'],
    ]);
    expect(args.slice(-2)).toEqual(['--remount-ro', '/']);
  });

  test('without a workspace, mounts none and works in the scratch directory', () => {
    const args = options(spec({ workspace: null }));
    expect(args).not.toContain(SANDBOX_PATHS.workspace);
    expect(groups(args, '--chdir', 1)).toEqual([[SANDBOX_PATHS.scratch]]);
  });

  test('mounts interpreter prefixes outside /usr', () => {
    const environment = {
      interpreter: '/opt/py/bin/python3',
      version: '3.12.1',
      mounts: ['/opt/py'],
      sysPath: [],
      venv: null,
    };
    expect(groups(options(spec({ environment })), '--ro-bind', 2)).toContainEqual([
      '/opt/py',
      '/opt/py',
    ]);
  });

  test('with prlimit, the worker starts under the limits it would set itself, before any of its code', () => {
    const args = bwrapArgs(spec({ prlimit: '/usr/bin/prlimit' }));
    const at = args.indexOf('/usr/bin/prlimit');
    expect(args.slice(at, args.indexOf('/usr/bin/python3.11'))).toEqual([
      '/usr/bin/prlimit',
      `--nproc=${config.limits.maxProcesses}`,
      `--nofile=${config.limits.openFiles}`,
      `--as=${config.limits.memoryBytes}`,
      `--cpu=${config.limits.cpuSeconds}`,
      `--fsize=${config.limits.fileSizeBytes}`,
      '--core=0',
      '--nice=0',
      '--',
    ]);
    // The last bwrap option comes right before it: prlimit is the command bwrap runs.
    expect(args[at - 1]).not.toMatch(/^--/);
  });

  test('starts the worker with -I and its limits as JSON', () => {
    const args = bwrapArgs(spec());
    const tail = args.slice(args.indexOf('/usr/bin/python3.11'));
    expect(tail.slice(0, 4)).toEqual(['/usr/bin/python3.11', '-I', '-B', SANDBOX_PATHS.worker]);
    expect(JSON.parse(tail[4] ?? '')).toMatchObject({
      output_bytes: config.limits.outputBytes,
      limits: {
        memory_bytes: config.limits.memoryBytes,
        max_processes: config.limits.maxProcesses,
      },
    });
  });

  test('hands the worker and its helper modules over through pipes, read-only', () => {
    expect(groups(bwrapArgs(spec()), '--ro-bind-data', 2)).toEqual([
      [String(FDS.workerSource), SANDBOX_PATHS.worker],
      ...WORKER_HELPERS.map((name, index) => [
        String(FDS.firstHelper + index),
        `${SANDBOX_PATHS.helpers}/${name}`,
      ]),
    ]);
  });

  test('the environment is built from nothing: no server variables pass through', () => {
    process.env.PYMCP_UNIT_SECRET = 'hunter2';
    try {
      const env = sandboxEnv(spec());
      expect(Object.values(env)).not.toContain('hunter2');
      expect(Object.keys(env).sort()).toEqual(
        [
          'HOME',
          'LANG',
          'MALLOC_ARENA_MAX',
          'MPLBACKEND',
          'MPLCONFIGDIR',
          'OMP_NUM_THREADS',
          'OPENBLAS_NUM_THREADS',
          'PATH',
          'PWD',
          'PYTHONUNBUFFERED',
          'TMPDIR',
          'USER',
        ].sort(),
      );
      const set = groups(options(spec()), '--setenv', 2);
      expect(Object.fromEntries(set)).toEqual(env);
    } finally {
      delete process.env.PYMCP_UNIT_SECRET;
    }
  });
});
