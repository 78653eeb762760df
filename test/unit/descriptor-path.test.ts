/**
 * Locating open descriptors and naming entries through a held directory (openat emulation),
 * against the swaps they exist to see through. Real files, real symlinks, real renames; no mocks.
 */
import { constants } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  descriptorPath,
  heldDirectory,
  inDirectory,
  O_PATH,
} from '../../src/shared/descriptor-path.js';

let base: string;
let ws: string;
let outside: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-fd-')));
  ws = path.join(base, 'ws');
  outside = path.join(base, 'outside');
  await mkdir(path.join(ws, 'dir'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(ws, 'dir/a.py'), 'inside\n');
  await writeFile(path.join(outside, 'a.py'), 'outside\n');
  await symlink(outside, path.join(ws, 'link'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('descriptorPath', () => {
  test('names the real file, not the path it was opened by', async () => {
    const handle = await open(path.join(ws, 'link/a.py'), constants.O_RDONLY);
    try {
      expect(await descriptorPath(handle)).toBe(path.join(outside, 'a.py'));
    } finally {
      await handle.close();
    }
  });

  test('follows a directory swapped for a symlink to outside after the open to where it went', async () => {
    await mkdir(path.join(ws, 'moving'));
    await writeFile(path.join(ws, 'moving/a.py'), 'inside\n');
    const handle = await open(path.join(ws, 'moving/a.py'), O_PATH | constants.O_NOFOLLOW);
    try {
      await rename(path.join(ws, 'moving'), path.join(ws, 'moved'));
      await symlink(outside, path.join(ws, 'moving'));
      expect(await descriptorPath(handle)).toBe(path.join(ws, 'moved/a.py'));
    } finally {
      await handle.close();
    }
  });

  test('gives an unlinked file no path (it is no longer in any workspace)', async () => {
    await writeFile(path.join(ws, 'gone.py'), 'x\n');
    const handle = await open(path.join(ws, 'gone.py'), constants.O_RDONLY);
    try {
      await unlink(path.join(ws, 'gone.py'));
      expect(await descriptorPath(handle)).toBeNull();
    } finally {
      await handle.close();
    }
  });
});

describe('inDirectory (openat through a held directory)', () => {
  test('a directory swapped for a symlink to outside after it was opened cannot redirect a write', async () => {
    await mkdir(path.join(ws, 'held'));
    const directory = await open(
      path.join(ws, 'held'),
      constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW,
    );
    try {
      await rename(path.join(ws, 'held'), path.join(ws, 'held-real'));
      await symlink(outside, path.join(ws, 'held'));
      await writeFile(inDirectory(directory, 'new.py'), 'written\n');
      await rename(inDirectory(directory, 'new.py'), inDirectory(directory, 'final.py'));
      expect(await readdir(heldDirectory(directory))).toEqual(['final.py']);
    } finally {
      await directory.close();
    }
    expect(await readFile(path.join(ws, 'held-real/final.py'), 'utf8')).toBe('written\n');
    expect((await readdir(outside)).sort()).toEqual(['a.py']);
  });

  test.each([['..'], ['.'], [''], ['a/../../outside/a.py'], ['sub/a.py'], ['a\0b']])(
    'refuses %j, which would walk on from the held directory by path',
    async (name) => {
      const directory = await open(path.join(ws, 'dir'), constants.O_RDONLY);
      try {
        expect(() => inDirectory(directory, name)).toThrow(/not a single file name/);
      } finally {
        await directory.close();
      }
    },
  );
});
