/**
 * The package's root directory (where package.json, python/, algorithms/ and bin/ live), found
 * by walking up from this module, so that it is right from src/ (tests), dist/src/ (tsc) and
 * dist/bundle/ (the esbuild bundle the launcher runs).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'isolated-pymcp';
let cached: string | null = null;

export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && isOurs(manifest)) return (cached = dir);
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(
        `cannot find the ${NAME} package root above ${fileURLToPath(import.meta.url)}`,
      );
    dir = parent;
  }
}

/** A file shipped with the package, e.g. `python/worker.py`. */
export function packageFile(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}

function isOurs(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === NAME;
  } catch {
    return false;
  }
}
