/**
 * A virtual environment in the real sandbox: probed inside bubblewrap (never on the host),
 * mounted read-only at its own path and nothing more, listed on the host without reading past
 * what a sandbox can see. A venv found by looking around that cannot run is passed over; one
 * asked for by name is an error.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { resolveEnvironment, type EnvironmentHost } from '../../src/sandbox/environment-probe.js';
import { createSandboxFactory, findBwrap } from '../../src/sandbox/sandbox-factory.js';
import type { Sandbox } from '../../src/sandbox/sandbox-process.js';
import { parseConfig } from '../../src/shared/config.js';
import { probeHostLayout } from '../../src/shared/host-layout.js';
import {
  listInstalledPackages,
  PackageListing,
  scanInstalledPackages,
} from '../../src/shared/installed-packages.js';
import { silentLogger } from '../../src/shared/log.js';
import { findPrlimit } from '../../src/shared/start-limits.js';
import { resolvePython } from '../../src/shared/python-runtime.js';
import { installPackage, makeVenv, TINYPKG_VERSION, type TestVenv } from '../helpers/venv.js';

let base: string;
let workspace: string;
let venv: TestVenv;
let host: EnvironmentHost;

async function dir(name: string): Promise<string> {
  const made = path.join(base, name);
  await mkdir(made, { recursive: true, mode: 0o755 });
  await chmod(made, 0o755);
  return made;
}

beforeAll(async () => {
  // Readable by all: under root the sandboxes run as uid 65534.
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-venv-sandbox-')));
  await chmod(base, 0o755);
  workspace = await dir('workspace');
  venv = await makeVenv(path.join(workspace, '.venv'));
  host = {
    bwrap: await findBwrap(),
    prlimit: await findPrlimit(),
    layout: await probeHostLayout(),
    hostIds: process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null,
    python: await resolvePython(),
    workspace,
  };
}, 60_000);

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('the environment probe', () => {
  test("the venv's interpreter reports its version and sys.path from inside the sandbox", async () => {
    const { environment, skipped } = await resolveEnvironment({}, host);
    expect(skipped).toEqual([]);
    expect(environment).toMatchObject({
      interpreter: venv.python,
      version: expect.stringMatching(/^3\.\d+\.\d+/),
      mounts: [venv.root],
      venv: { root: venv.root, source: 'workspace', includeSystemSitePackages: false },
    });
    expect(environment.sysPath).toContain(venv.sitePackages);
    expect(environment.sysPath).not.toContain('/usr/lib/python3/dist-packages');
  });

  test('without a venv: the system interpreter and its site-packages, as before', async () => {
    const { environment } = await resolveEnvironment({ venv: false }, host);
    expect(environment).toMatchObject({ interpreter: host.python.executable, venv: null });
    expect(environment.sysPath).toEqual(host.python.sysPath);
  });

  describe('a venv whose interpreter does not run in the sandbox', () => {
    let broken: string;
    beforeAll(async () => {
      // An "installation" (it has the landmark) whose python3 fails: the probe must notice.
      const prefix = await dir('broken-install');
      await mkdir(path.join(prefix, 'bin'), { mode: 0o755 });
      await mkdir(path.join(prefix, 'lib', 'python3.99'), { recursive: true, mode: 0o755 });
      await writeFile(path.join(prefix, 'lib', 'python3.99', 'os.py'), '', { mode: 0o644 });
      await writeFile(path.join(prefix, 'bin', 'python3'), '#!/bin/sh\necho broken >&2\nexit 3\n', {
        mode: 0o755,
      });
      const ws = await dir('broken-workspace');
      broken = path.join(ws, '.venv');
      await mkdir(path.join(broken, 'bin'), { recursive: true, mode: 0o755 });
      await writeFile(path.join(broken, 'pyvenv.cfg'), `home = ${prefix}/bin\n`, { mode: 0o644 });
      await symlink(path.join(prefix, 'bin', 'python3'), path.join(broken, 'bin', 'python'));
    });

    test('found in the workspace: passed over with the reason, the system Python is used', async () => {
      const { environment, skipped } = await resolveEnvironment(
        {},
        { ...host, workspace: path.dirname(broken) },
      );
      expect(environment.venv).toBeNull();
      expect(skipped).toEqual([expect.stringMatching(/does not start in the sandbox: broken/)]);
    });

    test('named with --venv: an error', async () => {
      await expect(resolveEnvironment({ venv: broken }, host)).rejects.toThrow(
        /bin\/python does not start in the sandbox: broken/,
      );
    });
  });
});

describe('start-up code of a venv (sitecustomize, .pth files) runs under the limits', () => {
  test('both the environment probe and the worker start limited, before any start-up code', async () => {
    // A workspace's venv is as hostile as the rest of the workspace: its sitecustomize runs at
    // interpreter start-up, before the worker could limit itself. This one refuses to go on
    // unless limits are already in force (so the probe too must start limited, or the venv is
    // passed over), and records what it found for the code to read back.
    const limited = await makeVenv(path.join(await dir('limited'), 'env'));
    await writeFile(
      path.join(limited.sitePackages, 'sitecustomize.py'),
      [
        'import resource',
        'found = {name: resource.getrlimit(getattr(resource, name)) for name in ("RLIMIT_NPROC", "RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NOFILE", "RLIMIT_CORE")}',
        'if found["RLIMIT_NPROC"][0] == resource.RLIM_INFINITY or found["RLIMIT_AS"][0] == resource.RLIM_INFINITY:',
        '    raise SystemExit("sitecustomize ran without limits")',
        'try:',
        '    with open("/tmp/limits-at-start", "w") as out:',
        '        out.write(repr(found))',
        'except OSError:',
        '    pass',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const config = parseConfig({ workspace: null, venv: limited.root });
    const factory = await createSandboxFactory(config, silentLogger);
    expect(factory.environment.venv?.root).toBe(limited.root);
    const box = await factory.start();
    open.push(box);
    const outcome = await box.run({
      code: 'import ast; ast.literal_eval(open("/tmp/limits-at-start").read())',
      globals: null,
      timeoutMs: 10_000,
    });
    const { limits } = config;
    expect(outcome).toMatchObject({ kind: 'completed', returnValue: { kind: 'json' } });
    const text = outcome.kind === 'completed' ? (outcome.returnValue?.text ?? '') : '';
    expect(JSON.parse(text)).toEqual({
      RLIMIT_NPROC: [limits.maxProcesses, limits.maxProcesses],
      RLIMIT_AS: [limits.memoryBytes, limits.memoryBytes],
      RLIMIT_CPU: [limits.cpuSeconds, limits.cpuSeconds],
      RLIMIT_NOFILE: [limits.openFiles, limits.openFiles],
      RLIMIT_CORE: [0, 0],
    });
  });
});

describe('code in a sandbox with the venv', () => {
  test('imports the venv package, and sees the venv read-only', async () => {
    const factory = await createSandboxFactory(parseConfig({ workspace }), silentLogger);
    const box = await factory.start();
    open.push(box);
    const outcome = await box.run({
      code: [
        'import os, tinypkg',
        'try:',
        '    open(os.path.join(os.path.dirname(tinypkg.__file__), "x.py"), "w")',
        '    writable = True',
        'except OSError:',
        '    writable = False',
        '[tinypkg.greet("box"), writable, os.environ["VIRTUAL_ENV"]]',
      ].join('\n'),
      globals: null,
      timeoutMs: 10_000,
    });
    expect(outcome.kind).toBe('completed');
    const value = outcome.kind === 'completed' ? outcome.returnValue?.text : undefined;
    expect(JSON.parse(value ?? 'null')).toEqual(['hello, box', false, venv.root]);
  });

  test('a symlink in the venv to a host directory leads nowhere inside the sandbox', async () => {
    const secret = await dir('secret');
    await writeFile(path.join(secret, 'token'), 'hunter2', { mode: 0o644 });
    const leaky = await makeVenv(path.join(await dir('leaky'), 'env'));
    await symlink(secret, path.join(leaky.sitePackages, 'leak'));
    const factory = await createSandboxFactory(
      parseConfig({ workspace: null, venv: leaky.root }),
      silentLogger,
    );
    expect(factory.environment.mounts).toEqual([leaky.root]);
    const box = await factory.start();
    open.push(box);
    const outcome = await box.run({
      code: `open(${JSON.stringify(path.join(leaky.sitePackages, 'leak', 'token'))}).read()`,
      globals: null,
      timeoutMs: 10_000,
    });
    expect(outcome).toMatchObject({ kind: 'raised', error: { type: 'FileNotFoundError' } });
  });
});

describe('an editable install of the workspace (pip install -e .)', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await dir('editable-ws');
    await mkdir(path.join(ws, 'src', 'editpkg'), { recursive: true, mode: 0o755 });
    await writeFile(path.join(ws, 'src', 'editpkg', '__init__.py'), 'VALUE = 42\n', {
      mode: 0o644,
    });
    const env = await makeVenv(path.join(ws, '.venv'));
    // What pip leaves for a src-layout project: a .pth naming the source directory.
    await writeFile(path.join(env.sitePackages, '__editable__.editpkg-0.1.pth'), `${ws}/src\n`, {
      mode: 0o644,
    });
    // And one naming a host directory outside the workspace: never mounted.
    await dir('elsewhere/otherpkg');
    await writeFile(path.join(base, 'elsewhere', 'otherpkg', '__init__.py'), 'X = 1\n', {
      mode: 0o644,
    });
    await writeFile(path.join(env.sitePackages, 'other.pth'), `${base}/elsewhere\n`, {
      mode: 0o644,
    });
  });

  test('the workspace is also mounted at its own path, so the project imports', async () => {
    const factory = await createSandboxFactory(parseConfig({ workspace: ws }), silentLogger);
    expect(factory.environment.mounts).toContain(ws);
    expect(factory.environment.mounts).not.toContain(path.join(base, 'elsewhere'));
    const box = await factory.start();
    open.push(box);
    const outcome = await box.run({
      code: [
        'import editpkg',
        'try:',
        '    import otherpkg',
        '    other = "imported"',
        'except ImportError:',
        '    other = "not importable"',
        '[editpkg.VALUE, editpkg.__file__, other]',
      ].join('\n'),
      globals: null,
      timeoutMs: 10_000,
    });
    expect(outcome.kind).toBe('completed');
    const value = outcome.kind === 'completed' ? outcome.returnValue?.text : undefined;
    expect(JSON.parse(value ?? 'null')).toEqual([
      42,
      path.join(ws, 'src', 'editpkg', '__init__.py'),
      'not importable',
    ]);
  });

  test('without an editable install the workspace is only at /workspace', async () => {
    const { environment } = await resolveEnvironment({}, host);
    expect(environment.mounts).toEqual([venv.root]);
  });
});

describe('listing installed packages on the host', () => {
  test('a venv with the system site-packages lists both, the venv first', async () => {
    const mixed = await makeVenv(path.join(await dir('mixed'), 'env'), {
      systemSitePackages: true,
    });
    const { environment } = await resolveEnvironment({ venv: mixed.root }, host);
    expect(environment.venv?.includeSystemSitePackages).toBe(true);
    const packages = await listInstalledPackages(environment);
    expect(packages).toContainEqual({
      name: 'tinypkg',
      version: TINYPKG_VERSION,
      location: mixed.sitePackages,
    });
    // What the system has (Debian's python3-jedi comes with python3-pylsp).
    const system = packages.filter((p) => p.location.startsWith('/usr/'));
    expect(system.length).toBeGreaterThan(0);
    // The same as importlib.metadata sees, run by the system Python with that sys.path.
    const expected = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-I',
          '-c',
          'import importlib.metadata as m, json, re, sys; sys.path[:] = json.loads(sys.argv[1]); print(json.dumps(sorted({re.sub(r"[-_.]+", "-", d.metadata["Name"].lower()) for d in m.distributions()})))',
          JSON.stringify(environment.sysPath),
        ],
        { encoding: 'utf8' },
      ),
    ) as string[];
    expect(packages.map((p) => p.name.toLowerCase().replace(/[-_.]+/g, '-')).sort()).toEqual(
      expected,
    );
  });

  describe('hostile site-packages', () => {
    let site: string;
    let outside: string;
    beforeAll(async () => {
      site = await dir('hostile/lib/python3.11/site-packages');
      outside = await dir('outside');
      await writeFile(
        path.join(outside, 'METADATA'),
        'Metadata-Version: 2.1\nName: topsecret\nVersion: 6.6.6\n',
      );
      await mkdir(path.join(outside, 'hidden-1.0.dist-info'));
      await writeFile(
        path.join(outside, 'hidden-1.0.dist-info', 'METADATA'),
        'Name: topsecret-dir\nVersion: 6.6.6\n',
      );
      // METADATA linked to a file outside the mounted directories.
      await mkdir(path.join(site, 'linked-2.0.dist-info'));
      await symlink(
        path.join(outside, 'METADATA'),
        path.join(site, 'linked-2.0.dist-info', 'METADATA'),
      );
      // A whole .dist-info linked to outside.
      await symlink(
        path.join(outside, 'hidden-1.0.dist-info'),
        path.join(site, 'hidden-1.0.dist-info'),
      );
      // A FIFO as METADATA.
      await mkdir(path.join(site, 'fifo-3.0.dist-info'));
      execFileSync('mkfifo', [path.join(site, 'fifo-3.0.dist-info', 'METADATA')]);
      // Control characters in the metadata.
      await installPackage(site, 'noisy', '1.0', {});
      await writeFile(
        path.join(site, 'noisy-1.0.dist-info', 'METADATA'),
        'Name: noisy\u001b[2J\nVersion: 1.0\u0007\n',
      );
      // An .egg-info file (old setuptools), and a duplicate name later on sys.path.
      await writeFile(path.join(site, 'legacy-0.5.egg-info'), 'Name: legacy\nVersion: 0.5\n');
      await installPackage(outside, 'noisy', '9.9', {});
    });

    test('reads nothing outside the mounted directories, never hangs, and cleans what it shows', async () => {
      const root = path.join(base, 'hostile');
      const packages = await listInstalledPackages({
        mounts: [root],
        // Relative, empty and unmounted entries are ignored; the first "noisy" wins.
        sysPath: ['', 'relative', '/etc', site, outside],
      });
      expect(packages).toEqual([
        { name: 'fifo', version: '3.0', location: site },
        { name: 'hidden', version: '1.0', location: site },
        { name: 'legacy', version: '0.5', location: site },
        { name: 'linked', version: '2.0', location: site },
        { name: 'noisy[2J', version: '1.0', location: site },
      ]);
      expect(JSON.stringify(packages)).not.toContain('topsecret');
      expect(JSON.stringify(packages)).not.toContain('6.6.6');
    }, 5_000);

    test('a sys.path that lists one directory a thousand times scans it once', async () => {
      const root = path.join(base, 'hostile');
      // A budget of exactly the site's entries: enough once, not enough twice.
      const budget = (await readdir(site)).length;
      const once = await scanInstalledPackages({ mounts: [root], sysPath: [site] }, budget);
      const repeated = await scanInstalledPackages(
        {
          mounts: [root],
          sysPath: Array.from({ length: 1000 }, (_, i) => (i % 2 ? site : `${site}/`)),
        },
        budget,
      );
      expect(once.stopped).toBeNull();
      expect(repeated).toEqual(once);
    });

    test('past the entry budget the scan stops and says so', async () => {
      const root = path.join(base, 'hostile');
      const scan = await scanInstalledPackages({ mounts: [root], sysPath: [site, outside] }, 3);
      expect(scan.stopped).toBe('the scan stopped at 3 directory entries');
      expect(scan.packages.length).toBeLessThanOrEqual(3);
    });

    test('the listing is kept until a scanned directory changes', async () => {
      const root = path.join(base, 'hostile');
      const listing = new PackageListing({ mounts: [root], sysPath: [site] });
      const first = await listing.scan();
      expect(await listing.scan()).toBe(first);
      await installPackage(site, 'fresh', '0.1', {});
      const second = await listing.scan();
      expect(second).not.toBe(first);
      expect(second.packages.map((p) => p.name)).toContain('fresh');
      await rm(path.join(site, 'fresh-0.1.dist-info'), { recursive: true });
      await rm(path.join(site, 'fresh'), { recursive: true, force: true });
    });
  });
});
