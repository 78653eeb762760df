import { chmod, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pythonFiles, WorkspaceFiles } from '../../src/lsp/workspace-files.js';

describe('the Python files of a workspace', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pymcp-walk-'));
    const files = [
      'pkg/__init__.py',
      'pkg/core.py',
      'tests/test_core.py',
      // Installed code, not the project's: a venv under any name, and the usual suspects.
      'env/pyvenv.cfg',
      'env/lib/python3.11/site-packages/dep/__init__.py',
      'env/lib/python3.11/stdlib_copy.py',
      '.venv/lib/python3.11/site-packages/other/__init__.py',
      'node_modules/x/setup.py',
      'pkg/__pycache__/core.cpython-311.py',
    ];
    for (const file of files) {
      await mkdir(path.join(root, path.dirname(file)), { recursive: true });
      await writeFile(path.join(root, file), file.endsWith('.cfg') ? 'home = /usr/bin\n' : '');
    }
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('skip virtual environments under any name, hidden directories and caches', async () => {
    expect(await pythonFiles(root, 100)).toEqual({
      files: ['pkg/__init__.py', 'pkg/core.py', 'tests/test_core.py'],
      found: 3,
      stopped: null,
    });
  });
});

describe('resolveStamped: gate answers kept by the path a client sent', () => {
  let base: string;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'pymcp-stamped-'));
    root = path.join(base, 'ws');
    outside = path.join(base, 'outside');
    await mkdir(path.join(root, 'pkg'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(root, 'pkg', 'mod.py'), 'x = 1\n');
    await writeFile(path.join(outside, 'mod.py'), 'SECRET = 1\n');
    await symlink(path.join(root, 'pkg'), path.join(root, 'alias'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  test('an unchanged file is not gated again; a changed one is', async () => {
    const files = new WorkspaceFiles(root, 1 << 20);
    const first = await files.resolveStamped('pkg/mod.py');
    expect((await files.resolveStamped('pkg/mod.py')).file).toBe(first.file);
    await writeFile(path.join(root, 'pkg', 'mod.py'), 'x = 22\n');
    const second = await files.resolveStamped('pkg/mod.py');
    expect(second.file).not.toBe(first.file);
    expect((await files.read(second.file, second.stamp)).text).toBe('x = 22\n');
  });

  test('a path through a symlink is gated every time', async () => {
    const files = new WorkspaceFiles(root, 1 << 20);
    const first = await files.resolveStamped('alias/mod.py');
    expect(first.file.relative).toBe('pkg/mod.py');
    expect((await files.resolveStamped('alias/mod.py')).file).not.toBe(first.file);
  });

  test('a directory swapped for a symlink to outside after it was kept is refused', async () => {
    const files = new WorkspaceFiles(root, 1 << 20);
    await files.resolveStamped('pkg/mod.py');
    await rename(path.join(root, 'pkg'), path.join(root, 'pkg-moved'));
    await symlink(outside, path.join(root, 'pkg'));
    try {
      await expect(files.resolveStamped('pkg/mod.py')).rejects.toThrow(/outside the workspace/);
    } finally {
      await rm(path.join(root, 'pkg'));
      await rename(path.join(root, 'pkg-moved'), path.join(root, 'pkg'));
    }
  });

  test('a file swapped for a symlink to outside after it was kept is refused', async () => {
    const files = new WorkspaceFiles(root, 1 << 20);
    await files.resolveStamped('pkg/mod.py');
    const file = path.join(root, 'pkg', 'mod.py');
    await rename(file, `${file}.bak`);
    await symlink(path.join(outside, 'mod.py'), file);
    try {
      await expect(files.resolveStamped('pkg/mod.py')).rejects.toThrow(/outside the workspace/);
    } finally {
      await rm(file);
      await rename(`${file}.bak`, file);
    }
  });
});

describe('the workspace walk is bounded and says so', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pymcp-walk-bounds-'));
    // 12 packages of 30 modules each: 12 directories below the root, 360 Python files.
    for (let p = 0; p < 12; p++) {
      await mkdir(path.join(root, `pkg${String(p).padStart(2, '0')}`));
      for (let m = 0; m < 30; m++)
        await writeFile(path.join(root, `pkg${String(p).padStart(2, '0')}`, `m${m}.py`), '');
    }
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('within the bounds it sees everything', async () => {
    const listing = await pythonFiles(root, 1000);
    expect(listing).toMatchObject({ found: 360, stopped: null });
  });

  test('past the directory bound it stops and names the bound', async () => {
    const listing = await pythonFiles(root, 1000, undefined, { directories: 5, entries: 1e6 });
    expect(listing.stopped).toBe('the walk stopped at 5 directories');
    expect(listing.found).toBe(4 * 30);
  });

  test('past the entry bound (one huge directory) it stops and names the bound', async () => {
    const listing = await pythonFiles(root, 1000, undefined, { directories: 100, entries: 50 });
    expect(listing.stopped).toBe('the walk stopped at 50 directory entries');
    expect(listing.found).toBeLessThan(50);
  });

  test('a cancelled walk ends with a cancelled error', async () => {
    await expect(pythonFiles(root, 1000, AbortSignal.abort())).rejects.toThrow(/cancelled/);
  });
});
