/**
 * Files this server keeps between runs for the user who runs it, under
 * `$XDG_CACHE_HOME/isolated-pymcp/` (default `~/.cache/isolated-pymcp/`): V8's compiled code of
 * the bundle (cli/code-cache.ts) and what an interpreter said about itself (python-runtime.ts).
 *
 * Security: what is cached decides what the server runs and what a sandbox mounts, so only the
 * user may write it. A directory is created mode 700 and used only while it and its parent
 * belong to the user and no one else can write them, and no one but the user or root can change
 * a directory above them (else root with another user's HOME would write there); a file is read
 * only when it is a regular file the user owns that no one else can write, opened without
 * following a link, and it is written whole (a private temporary file renamed into place).
 * Anything else is ignored: a cache is never a reason for a command to fail.
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
  realpathSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';

/** Set to `off` to neither read nor write any of these caches. */
export const CACHE_ENV = 'ISOLATED_PYMCP_CACHE';

/** Larger than any cache here (a code cache is ~1-2 MB); a bigger file is not ours to read. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** The sticky bit: in such a directory only an entry's owner may rename or remove it. */
const STICKY = 0o1000;

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
 * `dir`, created if missing, when no one but this user and root can change what it leads to:
 * every directory on the way from `/` belongs to one of them and no one else can write it (or
 * has the sticky bit, like /tmp), and `dir` and its parent are no links and belong to this user;
 * else null. A link above them is followed once and the real path returned, so that a change of
 * the link later is moot.
 */
export function ownDirectory(dir: string): string | null {
  try {
    const missing: string[] = [];
    let existing = path.resolve(dir);
    let real: string | undefined;
    while (real === undefined) {
      try {
        real = realpathSync(existing);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return null;
        if (existing === path.dirname(existing)) return null;
        missing.unshift(path.basename(existing));
        existing = path.dirname(existing);
      }
    }
    // Security: an ancestor another user could write or owns lets them swap what lies below
    // it (a root whose HOME is another user's, as `sudo` may keep it, would write there).
    const present = real.split(path.sep).filter((name) => name !== '');
    let current: string = path.sep;
    for (const [index, name] of [...present, ...missing].entries()) {
      current = path.join(current, name);
      if (index >= present.length) mkdirOnce(current);
      if (!trustedDirectory(lstatSync(current))) return null;
    }
    for (const [given, own] of [
      [dir, current],
      [path.dirname(dir), path.dirname(current)],
    ] as const) {
      // Security: a cache directory another user owns or can write (sticky or not) could hold
      // code this process would run; one that is a link is refused as well (not made here).
      const info = lstatSync(own);
      if (
        lstatSync(given).isSymbolicLink() ||
        info.uid !== process.geteuid?.() ||
        (info.mode & 0o022) !== 0
      ) {
        return null;
      }
    }
    return current;
  } catch {
    return null;
  }
}

/** A directory (not a link) of this user or root that no one else can write, or sticky. */
function trustedDirectory(info: Stats): boolean {
  const euid = process.geteuid?.();
  return (
    info.isDirectory() &&
    (info.uid === euid || info.uid === 0) &&
    ((info.mode & 0o022) === 0 || (info.mode & STICKY) !== 0)
  );
}

function mkdirOnce(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** The file's bytes when it is safe to use (see the module comment), else undefined. */
export function readPrivateFile(file: string): Buffer | undefined {
  let fd: number;
  try {
    // Security: O_NOFOLLOW, so a link planted in place of the file is not followed;
    // O_NONBLOCK, so a FIFO planted there does not block the open (fstat then refuses it).
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
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

/** Which older files a write replaces: those `match` names, but the `keep` most recent. */
export interface Superseded {
  match: (entry: string) => boolean;
  keep: number;
}

/** A temporary file this old is a writer's that died mid-write. */
const ABANDONED_MS = 60 * 60 * 1000;

/**
 * Write `data` as `name` in `dir` (from userCacheDir): a private temporary file renamed into
 * place, so a reader never sees half a file; then drop what it supersedes, and temporary files
 * abandoned by writers that died. Best effort: a failure leaves the next start uncached,
 * nothing else.
 */
export function writePrivateFile(
  dir: string,
  name: string,
  data: Buffer | string,
  superseded: Superseded = { match: () => false, keep: 0 },
): void {
  const target = path.join(dir, name);
  // Random, not the pid alone: processes in other pid namespaces may share this directory.
  const temporary = `${target}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, data, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, target);
  } catch (error) {
    // EEXIST: the name is another writer's, whose file is left alone.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      try {
        unlinkSync(temporary);
      } catch {
        // Never written.
      }
    }
    return;
  }
  try {
    const now = Date.now();
    const older: Array<{ entry: string; mtimeMs: number }> = [];
    for (const entry of readdirSync(dir)) {
      if (entry === name) continue;
      const file = path.join(dir, entry);
      const { mtimeMs } = lstatSync(file);
      if (entry.endsWith('.tmp') && now - mtimeMs > ABANDONED_MS) unlinkSync(file);
      else if (superseded.match(entry)) older.push({ entry, mtimeMs });
    }
    older.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { entry } of older.slice(superseded.keep)) unlinkSync(path.join(dir, entry));
  } catch {
    // Old files left behind cost disk space only.
  }
}
