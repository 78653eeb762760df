/**
 * Files this server keeps between runs for the user who runs it, under
 * `$XDG_CACHE_HOME/isolated-pymcp/` (default `~/.cache/isolated-pymcp/`): V8's compiled code of
 * the bundle (cli/code-cache.ts) and what an interpreter said about itself (python-runtime.ts).
 *
 * Security: what is cached decides what the server runs and what a sandbox mounts, so only the
 * user may write it. A directory is created mode 700 and used only while it and its parent
 * belong to the user and no one else can write them; a file is read only when it is a regular
 * file the user owns that no one else can write, opened without following a link, and it is
 * written whole (a private temporary file renamed into place). Anything else is ignored: a
 * cache is never a reason for a command to fail.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Set to `off` to neither read nor write any of these caches. */
export const CACHE_ENV = 'ISOLATED_PYMCP_CACHE';

/** Larger than any cache here (a code cache is ~1-2 MB); a bigger file is not ours to read. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The user's cache directory `kind` (e.g. `code-cache`), created mode 700 if missing, or null
 * when there is none to use: turned off, no home, a relative XDG_CACHE_HOME, or a directory
 * someone else could write.
 */
export function userCacheDir(kind: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const wanted = userCachePath(kind, env);
  return wanted === null ? null : ownDirectory(wanted);
}

/** Where userCacheDir would be, without creating or checking it. */
export function userCachePath(kind: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[CACHE_ENV] === 'off') return null;
  const xdg = env.XDG_CACHE_HOME;
  let base: string;
  if (xdg !== undefined && xdg !== '') {
    // The XDG spec: a relative path is invalid and must be ignored.
    if (!path.isAbsolute(xdg)) return null;
    base = xdg;
  } else {
    const home = homedir();
    if (!path.isAbsolute(home) || home === '/') return null;
    base = path.join(home, '.cache');
  }
  return path.join(base, 'isolated-pymcp', kind);
}

/**
 * `dir`, created if missing, when it and its parent are directories (not links) this user owns
 * and no one else can write; else null.
 */
export function ownDirectory(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const current of [dir, path.dirname(dir)]) {
      const info = lstatSync(current);
      // Security: another user able to write here could plant code this process would run.
      if (!info.isDirectory() || info.uid !== process.geteuid?.() || (info.mode & 0o022) !== 0) {
        return null;
      }
    }
    return dir;
  } catch {
    return null;
  }
}

/** The file's bytes when it is safe to use (see the module comment), else undefined. */
export function readPrivateFile(file: string): Buffer | undefined {
  let fd: number;
  try {
    // Security: O_NOFOLLOW, so a link planted in place of the file is not followed.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (
      !info.isFile() ||
      info.uid !== process.geteuid?.() ||
      (info.mode & 0o022) !== 0 ||
      info.size === 0 ||
      info.size > MAX_CACHE_BYTES
    ) {
      return undefined;
    }
    const data = Buffer.allocUnsafe(info.size);
    let read = 0;
    while (read < data.length) {
      const n = readSync(fd, data, read, data.length - read, read);
      if (n === 0) return undefined;
      read += n;
    }
    return data;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `data` as `name` in `dir` (from userCacheDir): a private temporary file renamed into
 * place, so a reader never sees half a file; then drop the files `stale` names. Best effort: a
 * failure leaves the next start uncached, nothing else.
 */
export function writePrivateFile(
  dir: string,
  name: string,
  data: Buffer | string,
  stale: (entry: string) => boolean = () => false,
): void {
  const target = path.join(dir, name);
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, target);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // Never written.
    }
    return;
  }
  try {
    for (const entry of readdirSync(dir)) {
      if (entry !== name && stale(entry)) {
        unlinkSync(path.join(dir, entry));
      }
    }
  } catch {
    // Old caches left behind cost disk space only.
  }
}
