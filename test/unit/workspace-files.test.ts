import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pythonFiles } from '../../src/lsp/workspace-files.js';

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
    });
  });
});
