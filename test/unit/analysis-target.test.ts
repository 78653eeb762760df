/**
 * workspaceTarget (the analyze_algorithm tool's target) on a real workspace: the dotted module
 * name comes from package markers inside the workspace only. Real files and symlinks; no mocks.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { workspaceTarget } from '../../src/analyze/target.js';

let base: string;
let ws: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-target-')));
  ws = path.join(base, 'ws');
  await mkdir(path.join(base, 'outside'));
  await writeFile(path.join(base, 'outside/__init__.py'), '');
  for (const dir of ['pkg', 'to_existing', 'to_missing']) {
    await mkdir(path.join(ws, dir), { recursive: true });
    await writeFile(path.join(ws, dir, 'mod.py'), 'x = 1\n');
  }
  await writeFile(path.join(ws, 'pkg/__init__.py'), '');
  await symlink(path.join(base, 'outside/__init__.py'), path.join(ws, 'to_existing/__init__.py'));
  await symlink(path.join(base, 'outside/missing.py'), path.join(ws, 'to_missing/__init__.py'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('workspaceTarget', () => {
  test('a module in a package inside the workspace gets its dotted name', async () => {
    expect((await workspaceTarget(ws, 'pkg/mod.py')).dotted).toBe('pkg.mod');
  });

  test('a package marker that is a symlink to outside reveals nothing of what exists there', async () => {
    // Whether the outside file exists or not, the answer is the same: not a package.
    expect((await workspaceTarget(ws, 'to_existing/mod.py')).dotted).toBeNull();
    expect((await workspaceTarget(ws, 'to_missing/mod.py')).dotted).toBeNull();
  });
});
