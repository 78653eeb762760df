/**
 * The code cache's rules: where it lives, which file a command line uses, and what is refused
 * because someone other than the user could have written it (real files, links and owners).
 */
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { codeCacheName, codeCacheProfile } from '../../src/cli/code-cache.js';
import { runBundle } from '../../src/cli/launch.js';
import {
  ownDirectory,
  readPrivateFile,
  userCacheDir,
  userCachePath,
  writePrivateFile,
} from '../../src/shared/user-cache.js';

/** A uid other than ours (the tests run as root, or as an ordinary user who cannot chown). */
const OTHER_UID = 1000;
const isRoot = process.geteuid?.() === 0;

let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pymcp-code-cache-'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('where the cache lives', () => {
  test('under XDG_CACHE_HOME, else ~/.cache; a relative XDG_CACHE_HOME or "off" means none', () => {
    expect(userCachePath('code-cache', { XDG_CACHE_HOME: '/x/cache' })).toBe(
      '/x/cache/isolated-pymcp/code-cache',
    );
    expect(userCachePath('code-cache', {})).toMatch(/\/\.cache\/isolated-pymcp\/code-cache$/);
    expect(userCachePath('code-cache', { XDG_CACHE_HOME: 'relative/cache' })).toBeNull();
    expect(
      userCachePath('code-cache', { XDG_CACHE_HOME: '/x', ISOLATED_PYMCP_CACHE: 'off' }),
    ).toBeNull();
  });

  test.each([
    [[], 'serve'],
    [['--workspace', '/w'], 'serve'],
    [['serve', '--http'], 'serve'],
    [['run', '-c', 'print(1)'], 'run'],
    [['analyze', 'fibonacci'], 'analyze'],
    [['lsp', 'hover'], 'lsp'],
    [['--version'], 'other'],
    [['--help'], 'other'],
    [['no-such-command'], 'other'],
    [['../../etc'], 'other'],
  ])('%j uses the %s cache', (argv, profile) => {
    expect(codeCacheProfile(argv)).toBe(profile);
  });

  test("the name changes with the bundle's bytes, not only with its length", () => {
    const a = codeCacheName(Buffer.from('const a = 1;'), 'run');
    const b = codeCacheName(Buffer.from('const b = 1;'), 'run');
    expect(a).toMatch(/^run-[0-9a-f]{32}\.bin$/);
    expect(b).not.toBe(a);
    expect(codeCacheName(Buffer.from('const a = 1;'), 'run')).toBe(a);
    expect(codeCacheName(Buffer.from('const a = 1;'), 'serve')).not.toBe(a);
  });
});

describe('the directory', () => {
  test('is created mode 700, with its parent', async () => {
    const dir = path.join(scratch, 'cache', 'isolated-pymcp', 'code-cache');
    expect(ownDirectory(dir)).toBe(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.dirname(dir))).mode & 0o777).toBe(0o700);
  });

  test('is refused when others can write it or its parent (they could plant code)', async () => {
    const parent = path.join(scratch, 'parent');
    const dir = path.join(parent, 'code-cache');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(parent, 0o700);
    await chmod(dir, 0o770);
    expect(ownDirectory(dir)).toBeNull();
    await chmod(dir, 0o700);
    await chmod(parent, 0o777);
    expect(ownDirectory(dir)).toBeNull();
    await chmod(parent, 0o755);
    expect(ownDirectory(dir)).toBe(dir);
  });

  test('is refused when it is a link, even to a directory of ours', async () => {
    const real = path.join(scratch, 'real');
    await mkdir(real, { mode: 0o700 });
    await chmod(scratch, 0o700);
    const link = path.join(scratch, 'code-cache');
    await symlink(real, link);
    expect(ownDirectory(link)).toBeNull();
  });

  test('is refused when a directory above it can be written by others (they could swap it)', async () => {
    const shared = path.join(scratch, 'shared');
    await mkdir(shared, { mode: 0o700 });
    await chmod(shared, 0o777);
    expect(ownDirectory(path.join(shared, 'cache', 'isolated-pymcp', 'code-cache'))).toBeNull();
    expect(await readdir(shared)).toEqual([]);
  });

  test('is used below a sticky directory anyone can write, such as /tmp', async () => {
    const sticky = path.join(scratch, 'tmp');
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    const dir = path.join(sticky, 'cache', 'isolated-pymcp', 'code-cache');
    expect(ownDirectory(dir)).toBe(dir);
  });

  test('is used where a link above it really leads, so that a later change of the link is moot', async () => {
    const real = path.join(scratch, 'real-cache');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, path.join(scratch, 'link'));
    expect(ownDirectory(path.join(scratch, 'link', 'isolated-pymcp', 'code-cache'))).toBe(
      path.join(real, 'isolated-pymcp', 'code-cache'),
    );
  });

  test.runIf(isRoot)(
    "is refused, and nothing created, in another user's home (sudo keeping HOME)",
    async () => {
      const home = path.join(scratch, 'alice');
      await mkdir(home, { mode: 0o755 });
      await chown(home, OTHER_UID, OTHER_UID);
      expect(userCacheDir('code-cache', { XDG_CACHE_HOME: path.join(home, '.cache') })).toBeNull();
      expect(await readdir(home)).toEqual([]);
    },
  );

  test.runIf(isRoot)('is refused when another user owns it', async () => {
    const dir = path.join(scratch, 'code-cache');
    await mkdir(dir, { mode: 0o700 });
    await chmod(scratch, 0o700);
    await chown(dir, OTHER_UID, OTHER_UID);
    expect(ownDirectory(dir)).toBeNull();
  });
});

describe('a cache file', () => {
  test('written is read back, mode 600, and replaces older caches of its profile only', async () => {
    await writeFile(path.join(scratch, 'run-old.bin'), 'old', { mode: 0o600 });
    await writeFile(path.join(scratch, 'serve-old.bin'), 'old', { mode: 0o600 });
    writePrivateFile(scratch, 'run-new.bin', Buffer.from('new cache'), {
      match: (entry) => entry.startsWith('run-'),
      keep: 0,
    });
    expect(readPrivateFile(path.join(scratch, 'run-new.bin'))?.toString()).toBe('new cache');
    expect((await stat(path.join(scratch, 'run-new.bin'))).mode & 0o777).toBe(0o600);
    expect((await readdir(scratch)).sort()).toEqual(['run-new.bin', 'serve-old.bin']);
  });

  test('keeps the most recent superseded files it is told to (two node versions in turn)', async () => {
    for (const [index, name] of ['run-a.bin', 'run-b.bin', 'run-c.bin'].entries()) {
      await writeFile(path.join(scratch, name), name, { mode: 0o600 });
      const when = new Date(Date.now() - (10 - index) * 60_000);
      await utimes(path.join(scratch, name), when, when);
    }
    writePrivateFile(scratch, 'run-d.bin', Buffer.from('d'), {
      match: (entry) => entry.startsWith('run-'),
      keep: 2,
    });
    expect((await readdir(scratch)).sort()).toEqual(['run-b.bin', 'run-c.bin', 'run-d.bin']);
  });

  test('removes temporary files abandoned by writers that died, not fresh ones', async () => {
    const abandoned = path.join(scratch, 'run-x.bin.123-abc.tmp');
    const fresh = path.join(scratch, 'run-x.bin.456-def.tmp');
    await writeFile(abandoned, 'half', { mode: 0o600 });
    await writeFile(fresh, 'half', { mode: 0o600 });
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(abandoned, old, old);
    writePrivateFile(scratch, 'run-x.bin', Buffer.from('ours'));
    expect((await readdir(scratch)).sort()).toEqual(['run-x.bin', 'run-x.bin.456-def.tmp']);
  });

  test("is written beside another writer's temporary file of the same pid (another pid namespace)", async () => {
    const theirs = path.join(scratch, `run-x.bin.${process.pid}.tmp`);
    await writeFile(theirs, 'half written', { mode: 0o600 });
    writePrivateFile(scratch, 'run-x.bin', Buffer.from('ours'));
    expect(readPrivateFile(path.join(scratch, 'run-x.bin'))?.toString()).toBe('ours');
    expect(readPrivateFile(theirs)?.toString()).toBe('half written');
  });

  test('that others can write is not read', async () => {
    const file = path.join(scratch, 'run-x.bin');
    await writeFile(file, 'cache', { mode: 0o600 });
    await chmod(file, 0o666);
    expect(readPrivateFile(file)).toBeUndefined();
    await chmod(file, 0o644);
    expect(readPrivateFile(file)?.toString()).toBe('cache');
  });

  test('behind a link is not read (the link is not followed)', async () => {
    const target = path.join(scratch, 'planted');
    await writeFile(target, 'planted code', { mode: 0o600 });
    const file = path.join(scratch, 'run-x.bin');
    await symlink(target, file);
    expect(readPrivateFile(file)).toBeUndefined();
    // Writing replaces the link itself; the file it pointed to is untouched.
    writePrivateFile(scratch, 'run-x.bin', Buffer.from('ours'));
    expect(readPrivateFile(file)?.toString()).toBe('ours');
    expect(readPrivateFile(target)?.toString()).toBe('planted code');
  });

  test('that is a FIFO is not read, and does not block', () => {
    const fifo = path.join(scratch, 'run-fifo.bin');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(readPrivateFile(fifo)).toBeUndefined();
  });

  test('that is empty, missing or a directory is not read', async () => {
    await writeFile(path.join(scratch, 'empty.bin'), '', { mode: 0o600 });
    await mkdir(path.join(scratch, 'dir.bin'));
    expect(readPrivateFile(path.join(scratch, 'empty.bin'))).toBeUndefined();
    expect(readPrivateFile(path.join(scratch, 'missing.bin'))).toBeUndefined();
    expect(readPrivateFile(path.join(scratch, 'dir.bin'))).toBeUndefined();
  });

  test.runIf(isRoot)('owned by another user is not read', async () => {
    const file = path.join(scratch, 'run-x.bin');
    await writeFile(file, 'cache', { mode: 0o600 });
    await chown(file, OTHER_UID, OTHER_UID);
    expect(readPrivateFile(file)).toBeUndefined();
  });
});

describe('the launcher', () => {
  // Node 20.0-20.11 have no vm.constants: reading the loader constant there threw at start-up.
  test.each([
    ['with vm.constants (Node >= 20.12)', vm.constants],
    ['without vm.constants (Node 20.0-20.11)', {}],
  ])('runs a bundle whose import() works, %s', async (_, constants) => {
    const bundle = path.join(scratch, 'main.cjs');
    await writeFile(
      bundle,
      "globalThis.launched = import('node:path').then((p) => p.join(path.basename(__filename), 'b'));\n" +
        "const path = require('node:path');\n",
    );
    const saved = process.env.ISOLATED_PYMCP_CACHE;
    process.env.ISOLATED_PYMCP_CACHE = 'off';
    try {
      runBundle(bundle, ['run'], constants);
    } finally {
      if (saved === undefined) delete process.env.ISOLATED_PYMCP_CACHE;
      else process.env.ISOLATED_PYMCP_CACHE = saved;
    }
    const launched = (globalThis as { launched?: Promise<string> }).launched;
    expect(await launched).toBe('main.cjs/b');
  });
});
