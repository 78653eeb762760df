/**
 * V8's code cache for the bundle, kept between runs in the user's own cache directory: with it,
 * V8 deserialises the compiled functions instead of parsing and compiling ~2 MB of JavaScript at
 * every start (the MCP SDK, zod and commander; 40-60 ms of a `serve`'s start-up here). Node 22.1
 * has this built in (`module.enableCompileCache`); Node 20 has `vm.Script`'s `cachedData`, which
 * is what this uses.
 *
 * Security: the cache holds code this process will run, so only the user may write it. The
 * directory is created mode 700 and used only while it and its parent belong to the user and no
 * one else can write them; a file is read only when it is a regular file the user owns that no
 * one else can write, opened without following a link. The file's name is a hash of the
 * bundle's bytes, node's version and flags: V8 itself only checks a cache against the source's
 * length, so a bundle changed in place never meets the cache of its old text. A cache V8
 * rejects (another V8, other flags, a damaged file) costs one ordinary compile and is replaced.
 */
import { createHash } from 'node:crypto';
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

/** Set to `off` to neither read nor write the cache. */
export const CODE_CACHE_ENV = 'ISOLATED_PYMCP_CODE_CACHE';

/** Larger than any cache of the bundle (~1-2 MB); a bigger file is not ours to read. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** The commands that get their own cache (each compiles different functions); others share one. */
const PROFILES = new Set(['serve', 'run', 'analyze', 'lsp', 'doctor', 'config']);

/**
 * The cache directory for this user, or null when there is none to use (turned off, no home,
 * a relative XDG_CACHE_HOME).
 */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[CODE_CACHE_ENV] === 'off') return null;
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
  return path.join(base, 'isolated-pymcp', 'code-cache');
}

/**
 * Which cache a command line uses: the command's name (`serve` when none is given, as the CLI
 * defaults to it), or `other` (`--help`, `--version`, a typo).
 */
export function codeCacheProfile(argv: readonly string[]): string {
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) {
    return argv.some(
      (arg) => arg === '--help' || arg === '-h' || arg === '--version' || arg === '-V',
    )
      ? 'other'
      : 'serve';
  }
  return PROFILES.has(first) ? first : 'other';
}

/** The file name of the cache of `source` for `profile` under this node and its flags. */
export function codeCacheName(source: Buffer, profile: string): string {
  const hash = createHash('sha256')
    .update(source)
    .update(
      JSON.stringify([
        process.version,
        process.arch,
        process.execArgv,
        process.env.NODE_OPTIONS ?? '',
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  return `${profile}-${hash}.bin`;
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

/** The cache at `file` when it is safe to use (see the module comment), else undefined. */
export function readCodeCache(file: string): Buffer | undefined {
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
 * Write `data` as `name` in `dir` (already checked by ownDirectory): a private temporary file
 * renamed into place, so a reader never sees half a cache, then drop the profile's older caches.
 * Best effort: a failure leaves the next start uncached, nothing else.
 */
export function writeCodeCache(dir: string, name: string, data: Buffer): void {
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
  const profile = name.slice(0, name.indexOf('-') + 1);
  try {
    for (const entry of readdirSync(dir)) {
      if (entry !== name && entry.startsWith(profile) && entry.endsWith('.bin')) {
        unlinkSync(path.join(dir, entry));
      }
    }
  } catch {
    // Old caches left behind cost disk space only.
  }
}
