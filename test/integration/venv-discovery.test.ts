/**
 * Finding the virtual environment, on the real file system with real venvs (python3 -m venv)
 * and real symlinks: the discovery order, and venv trees built to attack the server (a
 * pyvenv.cfg that is a link, a FIFO or huge; interpreter link loops; links out of the venv).
 * Nothing found inside a venv is run on the host.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PymcpError } from '../../src/shared/errors.js';
import { findVenv, venvMounts, type VenvRequest } from '../../src/shared/venv-discovery.js';
import { makeVenv, SYSTEM_PYTHON, type TestVenv } from '../helpers/venv.js';

let base: string;
let workspace: string;
let dotVenv: TestVenv;
let explicit: TestVenv;
let activated: TestVenv;

/** A fresh directory under base. */
let counter = 0;
async function fresh(name: string): Promise<string> {
  const dir = path.join(base, `${++counter}-${name}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A venv by hand: pyvenv.cfg and bin/, no interpreter unless asked. */
async function handVenv(cfg = 'home = /usr/bin\n'): Promise<string> {
  const root = await fresh('hand');
  await mkdir(path.join(root, 'bin'));
  await writeFile(path.join(root, 'pyvenv.cfg'), cfg);
  return root;
}

/** A fake Python installation: an executable bin/python3 and the lib/python3.X/os.py landmark. */
async function installation(): Promise<string> {
  const prefix = await fresh('install');
  await mkdir(path.join(prefix, 'bin'));
  await mkdir(path.join(prefix, 'lib', 'python3.99'), { recursive: true });
  await writeFile(path.join(prefix, 'lib', 'python3.99', 'os.py'), '');
  await writeFile(path.join(prefix, 'bin', 'python3'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return prefix;
}

const find = (request: Partial<VenvRequest>) => findVenv({ workspace: null, ...request });

async function refusal(request: Partial<VenvRequest>): Promise<string> {
  try {
    await find(request);
  } catch (error) {
    expect(error).toBeInstanceOf(PymcpError);
    expect((error as PymcpError).code).toBe('config_invalid');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-venv-find-')));
  workspace = await fresh('workspace');
  dotVenv = await makeVenv(path.join(workspace, '.venv'));
  explicit = await makeVenv(path.join(base, 'explicit'));
  activated = await makeVenv(path.join(base, 'activated'));
}, 60_000);

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('discovery order', () => {
  test('--venv first', async () => {
    const { found } = await find({ venv: explicit.root, virtualEnv: activated.root, workspace });
    expect(found).toMatchObject({
      root: explicit.root,
      source: '--venv',
      interpreter: explicit.python,
      cfg: { home: '/usr/bin', includeSystemSitePackages: false },
    });
  });

  test('then a --python inside a venv, kept as spelt inside that venv', async () => {
    const { found } = await find({
      python: explicit.python,
      virtualEnv: activated.root,
      workspace,
    });
    expect(found).toMatchObject({
      root: explicit.root,
      source: '--python',
      interpreter: explicit.python,
    });
    const viaPython3 = await find({ python: path.join(explicit.root, 'bin', 'python3') });
    expect(viaPython3.found?.interpreter).toBe(path.join(explicit.root, 'bin', 'python3'));
  });

  test('a --python outside any venv means no venv: discovery stops there', async () => {
    const { found } = await find({ python: SYSTEM_PYTHON, virtualEnv: activated.root, workspace });
    expect(found).toBeNull();
  });

  test('then $VIRTUAL_ENV', async () => {
    const { found } = await find({ virtualEnv: activated.root, workspace });
    expect(found).toMatchObject({ root: activated.root, source: '$VIRTUAL_ENV' });
  });

  test('then the workspace .venv, then venv', async () => {
    expect((await find({ workspace })).found).toMatchObject({
      root: dotVenv.root,
      source: 'workspace',
    });
    const other = await fresh('workspace-venv');
    const plain = await makeVenv(path.join(other, 'venv'));
    expect((await find({ workspace: other })).found).toMatchObject({ root: plain.root });
  });

  test('--no-venv: none, whatever else there is', async () => {
    const { found } = await find({ venv: false, virtualEnv: activated.root, workspace });
    expect(found).toBeNull();
  });

  test('no workspace and nothing else: none', async () => {
    expect(await find({})).toEqual({ found: null, skipped: [] });
  });

  test('a stale $VIRTUAL_ENV is passed over with a note, and the workspace venv is used', async () => {
    const { found, skipped } = await find({ virtualEnv: await fresh('not-a-venv'), workspace });
    expect(found?.root).toBe(dotVenv.root);
    expect(skipped).toEqual([expect.stringMatching(/\$VIRTUAL_ENV .*not a virtual environment/)]);
  });

  test('--venv naming no venv is an error that says how to make one', async () => {
    expect(await refusal({ venv: await fresh('plain') })).toMatch(
      /--venv .*no pyvenv\.cfg.*python3 -m venv/,
    );
    expect(await refusal({ venv: path.join(base, 'missing') })).toMatch(/--venv .*ENOENT/);
  });

  test('--venv with a --python from another venv is refused, even when both link to one binary', async () => {
    expect(await refusal({ venv: explicit.root, python: activated.python })).toMatch(
      /--python .* is not the interpreter of --venv/,
    );
    // The base interpreter the venv links to is the same interpreter.
    const { found } = await find({ venv: explicit.root, python: SYSTEM_PYTHON });
    expect(found?.root).toBe(explicit.root);
  });
});

describe('hostile venv trees', () => {
  test('a pyvenv.cfg that is a symbolic link (to a secret) is refused without being read', async () => {
    const root = await handVenv();
    await unlink(path.join(root, 'pyvenv.cfg'));
    const secret = path.join(await fresh('secret'), 'token');
    await writeFile(secret, 'home = /topsecret\n');
    await symlink(secret, path.join(root, 'pyvenv.cfg'));
    const message = await refusal({ venv: root });
    expect(message).toMatch(/pyvenv\.cfg .*symbolic link/);
    expect(message).not.toContain('topsecret');
  });

  test('a huge pyvenv.cfg is refused, not read whole', async () => {
    const root = await handVenv(`home = /usr/bin\n${'#'.repeat(2 * 1024 * 1024)}\n`);
    expect(await refusal({ venv: root })).toMatch(/larger than 64 KiB/);
  });

  test('a FIFO planted as pyvenv.cfg does not hang discovery', async () => {
    const root = await handVenv();
    await unlink(path.join(root, 'pyvenv.cfg'));
    execFileSync('mkfifo', [path.join(root, 'pyvenv.cfg')]);
    expect(await refusal({ venv: root })).toMatch(/not a regular file/);
  }, 5_000);

  test('a directory named pyvenv.cfg is refused', async () => {
    const root = await handVenv();
    await unlink(path.join(root, 'pyvenv.cfg'));
    await mkdir(path.join(root, 'pyvenv.cfg'));
    expect(await refusal({ venv: root })).toMatch(/not a regular file/);
  });

  test('an interpreter symlink loop is refused', async () => {
    const root = await handVenv();
    await symlink('python3', path.join(root, 'bin', 'python'));
    await symlink('python', path.join(root, 'bin', 'python3'));
    expect(await refusal({ venv: root })).toMatch(/bin\/python is a symbolic link loop/);
  });

  test('a dangling interpreter link is refused', async () => {
    const root = await handVenv();
    await symlink('/nonexistent/python3', path.join(root, 'bin', 'python'));
    expect(await refusal({ venv: root })).toMatch(/bin\/python is missing or a dangling link/);
  });

  test('a venv without an interpreter is refused', async () => {
    expect(await refusal({ venv: await handVenv() })).toMatch(/no bin\/python or bin\/python3/);
  });

  test('a workspace .venv that is a symlink loop is passed over with a note', async () => {
    const ws = await fresh('loop-workspace');
    await symlink('.venv', path.join(ws, '.venv'));
    const { found, skipped } = await find({ workspace: ws });
    expect(found).toBeNull();
    expect(skipped).toEqual([expect.stringMatching(/\.venv: a symbolic link loop/)]);
  });
});

describe('what a venv needs mounted', () => {
  const HOME = '/home/nobody-here';

  test('a venv linking to /usr needs only itself', async () => {
    const { found } = await find({ venv: explicit.root });
    expect(await venvMounts(found!, HOME)).toEqual([explicit.root]);
  });

  test('a venv linking to an installation outside /usr needs that installation too', async () => {
    const prefix = await installation();
    const root = await handVenv(`home = ${prefix}/bin\n`);
    await symlink(path.join(prefix, 'bin', 'python3'), path.join(root, 'bin', 'python'));
    const { found } = await find({ venv: root });
    expect(await venvMounts(found!, HOME)).toEqual([root, prefix]);
  });

  test('a link out of the venv to something that is no Python installation is not followed', async () => {
    const elsewhere = await fresh('private');
    await mkdir(path.join(elsewhere, 'bin'));
    await writeFile(path.join(elsewhere, 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    const root = await handVenv();
    await symlink(path.join(elsewhere, 'bin', 'tool'), path.join(root, 'bin', 'python'));
    const { found } = await find({ venv: root });
    await expect(venvMounts(found!, HOME)).rejects.toThrow(/not part of a Python installation/);
  });

  test.each([
    ['the root', '/'],
    ['a home directory', '/home/nobody-here/bin'],
  ])('a pyvenv.cfg home naming %s adds no mount', async (_name, home) => {
    const root = await handVenv(`home = ${home}\n`);
    await symlink('/usr/bin/python3', path.join(root, 'bin', 'python'));
    const { found } = await find({ venv: root });
    expect(await venvMounts(found!, HOME)).toEqual([root]);
  });

  test('a copied interpreter (venv --copies) is found through pyvenv.cfg home', async () => {
    const prefix = await installation();
    const root = await handVenv(`home = ${prefix}/bin\n`);
    await writeFile(path.join(root, 'bin', 'python'), '#!/bin/sh\n', { mode: 0o755 });
    await chmod(path.join(root, 'bin', 'python'), 0o755);
    const { found } = await find({ venv: root });
    expect(await venvMounts(found!, HOME)).toEqual([root, prefix]);
  });
});

describe('a workspace venv that leads outside the workspace', () => {
  test('a .venv symlink to a venv elsewhere is skipped, not mounted, and the skip says why', async () => {
    const ws = await fresh('ws-linked');
    await symlink(explicit.root, path.join(ws, '.venv'));
    const { found, skipped } = await find({ workspace: ws });
    expect(found).toBeNull();
    expect(skipped.join('\n')).toMatch(/\.venv: leads outside the workspace/);
  });
});
