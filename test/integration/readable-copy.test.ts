/**
 * A language server's package copied where the sandbox's uid can read it (npx as root unpacks it
 * under /root, mode 700): the copy is whole, readable, root's alone, and reused.
 */
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readableCopy } from '../../src/lsp/readable-copy.js';
import { unreachableReason } from '../../src/shared/host-layout.js';

const root = process.getuid?.() === 0;
let dir: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pymcp-copy-'));
  // The copies' cache directories are made in here: the sandbox's uid must reach them.
  await chmod(dir, 0o755);
  // A private place, as /root/.npm: the sandbox's uid cannot search it.
  const hidden = path.join(dir, 'private');
  source = path.join(hidden, 'node_modules', 'server');
  await mkdir(path.join(source, 'dist'), { recursive: true });
  await writeFile(path.join(source, 'package.json'), '{"version":"1.0.0"}', { mode: 0o600 });
  await writeFile(path.join(source, 'dist', 'main.js'), 'one', { mode: 0o600 });
  await writeFile(path.join(source, 'dist', 'tool'), '#!/bin/sh\n', { mode: 0o700 });
  await symlink('main.js', path.join(source, 'dist', 'link.js'));
  await chmod(path.join(source, 'dist'), 0o700);
  await chmod(hidden, 0o700);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function base(name: string, mode = 0o755): Promise<string> {
  const made = path.join(dir, name);
  await mkdir(made);
  await chmod(made, mode);
  return made;
}

describe.skipIf(!root)('a readable copy of a language server', () => {
  test('is whole, readable by the sandbox uid, and root-only writable', async () => {
    expect(await unreachableReason(source, 65534, 65534)).not.toBeNull();
    const copy = await readableCopy(source, 'server-1.0.0', await base('cache'));
    expect(await unreachableReason(copy, 65534, 65534)).toBeNull();
    expect(await readFile(path.join(copy, 'dist', 'main.js'), 'utf8')).toBe('one');
    const modes = async (file: string): Promise<string> =>
      ((await lstat(path.join(copy, file))).mode & 0o7777).toString(8);
    expect(await modes('.')).toBe('755');
    expect(await modes('dist')).toBe('755');
    expect(await modes('package.json')).toBe('644');
    expect(await modes('dist/tool')).toBe('755');
    expect((await lstat(path.join(copy, 'dist', 'link.js'))).isSymbolicLink()).toBe(true);
  });

  test('is reused while complete, and made again when its last step never happened', async () => {
    const cache = await base('reuse');
    const first = await readableCopy(source, 'server-1.0.0', cache);
    await chmod(path.join(source, 'dist'), 0o755);
    await writeFile(path.join(source, 'dist', 'main.js'), 'two');
    await chmod(path.join(source, 'dist'), 0o700);
    expect(await readableCopy(source, 'server-1.0.0', cache)).toBe(first);
    expect(await readFile(path.join(first, 'dist', 'main.js'), 'utf8')).toBe('one');
    // An interrupted copy (no completion mark) is not trusted.
    await rm(path.join(first, '.isolated-pymcp-complete'));
    const again = await readableCopy(source, 'server-1.0.0', cache);
    expect(await readFile(path.join(again, 'dist', 'main.js'), 'utf8')).toBe('two');
  });

  test('is refused under a directory others can write, or a symlink, and for a bad name', async () => {
    await expect(readableCopy(source, 'server-1.0.0', await base('open', 0o777))).rejects.toThrow(
      /can be written by others than root/,
    );
    const real = await base('real');
    const link = path.join(dir, 'link');
    await symlink(real, link);
    await expect(readableCopy(source, 'server-1.0.0', link)).rejects.toThrow(/not a directory/);
    await expect(readableCopy(source, '../escape', await base('names'))).rejects.toThrow(
      /not a copy name/,
    );
  });
});
