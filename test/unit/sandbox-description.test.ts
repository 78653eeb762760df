import { describe, expect, test } from 'vitest';
import { languageServerProfile } from '../../src/lsp/lsp-sandbox.js';
import { serverSettings } from '../../src/lsp/servers.js';
import { settingsOptions } from '../../src/lsp/lsp-sandbox.js';
import { bwrapArgs as executorArgs } from '../../src/sandbox/profile.js';
import { bwrapArgs } from '../../src/shared/bwrap.js';
import { parseConfig } from '../../src/shared/config.js';
import type { PythonEnvironment } from '../../src/shared/python-environment.js';
import { sameMountRefusal } from '../../src/shared/sandbox-description.js';

const layout = { roots: { '/bin': { kind: 'symlink' as const, target: 'usr/bin' } }, etc: [] };
const venvEnvironment: PythonEnvironment = {
  interpreter: '/srv/app/.venv/bin/python',
  version: '3.12.4',
  mounts: ['/srv/app/.venv', '/opt/python-3.12'],
  sysPath: [],
  venv: { root: '/srv/app/.venv', source: 'workspace', includeSystemSitePackages: false },
};

const groups = (args: string[], flag: string, arity: number): string[][] =>
  args.flatMap((a, i) => (a === flag ? [args.slice(i + 1, i + 1 + arity)] : []));

const executor = (environment: PythonEnvironment): string[] =>
  executorArgs({
    environment,
    workspace: '/srv/app',
    limits: parseConfig({}).limits,
    layout,
    prlimit: null,
  });

const languageServer = (environment: PythonEnvironment): string[] =>
  bwrapArgs(
    languageServerProfile({
      layout,
      environment,
      workspace: '/srv/app',
      launch: {
        kind: 'pyright',
        mounts: [['/srv/pkg/node_modules/pyright', '/opt/lsp/pyright']],
        command: ['/usr/bin/node', '/opt/lsp/pyright/langserver.index.js', '--stdio'],
        describe: 'pyright',
      },
      prlimit: null,
      scratchBytes: 256 * 1024 * 1024,
    }),
  );

describe('one description for both sandboxes', () => {
  test.each([
    ['the executor', executor],
    ['the language server', languageServer],
  ])('%s mounts the venv and its base installation read-only at their own paths', (_n, args) => {
    const binds = groups(args(venvEnvironment), '--ro-bind', 2);
    expect(binds).toContainEqual(['/srv/app/.venv', '/srv/app/.venv']);
    expect(binds).toContainEqual(['/opt/python-3.12', '/opt/python-3.12']);
    expect(binds).toContainEqual(['/srv/app', '/workspace']);
    expect(args(venvEnvironment)).not.toContain('--bind');
  });

  test.each([
    ['the executor', executor],
    ['the language server', languageServer],
  ])(
    '%s gets what activating the venv sets: VIRTUAL_ENV and its bin/ first on PATH',
    (_n, args) => {
      const env = Object.fromEntries(groups(args(venvEnvironment), '--setenv', 2));
      expect(env).toMatchObject({
        VIRTUAL_ENV: '/srv/app/.venv',
        PATH: '/srv/app/.venv/bin:/usr/local/bin:/usr/bin:/bin',
        HOME: '/tmp',
        PWD: '/workspace',
      });
    },
  );

  test('without a venv neither sandbox has VIRTUAL_ENV, and both mount the same directories', () => {
    const system: PythonEnvironment = {
      interpreter: '/usr/bin/python3.11',
      version: '3.11.2',
      mounts: [],
      sysPath: [],
      venv: null,
    };
    const shared = (args: string[]) =>
      groups(args, '--ro-bind', 2).filter(([, target]) => !target?.startsWith('/opt/'));
    expect(shared(languageServer(system))).toEqual(shared(executor(system)));
    for (const args of [executor(system), languageServer(system)])
      expect(Object.fromEntries(groups(args, '--setenv', 2))).not.toHaveProperty('VIRTUAL_ENV');
  });

  test('the executor runs the venv interpreter by its venv path (CPython finds pyvenv.cfg from it)', () => {
    const args = executor(venvEnvironment);
    expect(args.slice(args.indexOf('/srv/app/.venv/bin/python'))[1]).toBe('-I');
  });

  test('a language-server mount the environment already has is not mounted twice', () => {
    const args = bwrapArgs(
      languageServerProfile({
        layout,
        environment: { ...venvEnvironment, mounts: ['/opt/python-3.12'], venv: null },
        workspace: null,
        launch: {
          kind: 'pylsp',
          mounts: [['/opt/python-3.12', '/opt/python-3.12']],
          command: ['/opt/python-3.12/bin/python3', '-m', 'pylsp'],
          describe: 'pylsp',
        },
        prlimit: null,
        scratchBytes: 1024 * 1024,
      }),
    );
    expect(groups(args, '--ro-bind', 2).filter(([s]) => s === '/opt/python-3.12')).toHaveLength(1);
  });
});

describe('the language servers are pointed at the environment', () => {
  test('pyright asks the venv interpreter for sys.path', () => {
    const settings = serverSettings(
      'pyright',
      settingsOptions({ environment: venvEnvironment, workspace: '/srv/app', prlimit: null }),
    );
    expect(settings('python')).toMatchObject({ pythonPath: '/srv/app/.venv/bin/python' });
  });

  test("pylsp's jedi analyses against the venv interpreter, and its own without a venv", () => {
    const withVenv = serverSettings(
      'pylsp',
      settingsOptions({ environment: venvEnvironment, workspace: null, prlimit: null }),
    );
    expect(withVenv('pylsp')).toMatchObject({
      plugins: { jedi: { environment: '/srv/app/.venv/bin/python' } },
    });
    const without = serverSettings(
      'pylsp',
      settingsOptions({
        environment: { ...venvEnvironment, venv: null },
        workspace: null,
        prlimit: null,
      }),
    );
    expect(without('pylsp')).toMatchObject({ plugins: { jedi: { environment: null } } });
  });
});

describe('an environment directory mounted at its own path', () => {
  const home = '/home/alice';
  test.each([
    ['/srv/app/.venv', null],
    ['/home/alice/proj/.venv', null],
    ['/tmp/pymcp-test/.venv', null],
    ['/opt/python-3.12', null],
  ])('%s may be mounted', (dir, expected) => {
    expect(sameMountRefusal(dir, home)).toBe(expected);
  });

  test.each([
    ['the whole file system', '/', /root of the file system/],
    ["the user's home", '/home/alice', /contains \/home\/alice/],
    ['every home', '/home', /contains \/home/],
    ['a directory above the home', '/home/alice/..', /normalised/],
    ['the workspace mount point', '/workspace', /overlaps \/workspace/],
    ['a path under the workspace mount point', '/workspace/.venv', /overlaps \/workspace/],
    ["the worker's directory", '/opt/isolated-pymcp', /overlaps/],
    ['a parent of the language server files', '/opt', /overlaps \/opt\/isolated-pymcp/],
    ['/proc', '/proc/self/root', /overlaps \/proc/],
    ['/dev', '/dev/shm/venv', /overlaps \/dev/],
    ['/etc', '/etc/venv', /overlaps \/etc/],
    ['the scratch directory itself', '/tmp', /contains \/tmp/],
    ['a relative path', 'venv', /normalised absolute/],
  ])('%s is refused (%s)', (_name, dir, reason) => {
    expect(sameMountRefusal(dir, home)).toMatch(reason);
  });

  test("root's home, when the server runs as root", () => {
    expect(sameMountRefusal('/root', '/root')).toMatch(/contains \/root/);
  });
});
