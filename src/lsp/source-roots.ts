/**
 * Where a workspace's importable code starts, as the language server should be told: the root,
 * plus `src/` in a src layout (a `src` directory that is not itself a package). pyright adds
 * `src` on its own (autoSearchPaths); pylsp's jedi does not, and without it a test outside `src`
 * cannot resolve `import pkg`, so neither its definitions nor its uses can be found from there.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';

/** Import roots inside the sandbox for a host workspace mounted at `mountedAt`. */
export async function sourceRoots(workspace: string | null, mountedAt: string): Promise<string[]> {
  if (workspace === null) return [];
  const roots = [mountedAt];
  const src = await lstat(path.join(workspace, 'src')).catch(() => null);
  const isPackage = await lstat(path.join(workspace, 'src', '__init__.py')).catch(() => null);
  // lstat: a `src` symlink is not followed (it could lead anywhere on the host).
  if (src?.isDirectory() === true && isPackage === null) roots.push(`${mountedAt}/src`);
  return roots;
}
