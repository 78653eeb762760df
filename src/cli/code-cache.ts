/**
 * V8's code cache for the bundle, kept between runs in the user's cache directory
 * (shared/user-cache.ts says who may write it): with it, V8 deserialises the compiled functions
 * instead of parsing and compiling ~2.4 MB of JavaScript at every start (the MCP SDK, zod and
 * commander; ~60 ms of a `serve`'s start-up here). Node 22.1 has this built in
 * (`module.enableCompileCache`); Node 20 has `vm.Script`'s `cachedData`, which launch.ts uses.
 *
 * Security: the file's name is a hash of the bundle's bytes, node's version and flags. V8 itself
 * checks a cache only against the source's length, so a bundle changed in place never meets the
 * cache of its old text. A cache V8 rejects (another V8, other flags, a damaged file) costs one
 * ordinary compile and is replaced.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readPrivateFile, userCacheDir, writePrivateFile } from '../shared/user-cache.js';

/** The commands that get their own cache (each compiles different functions); others share one. */
const PROFILES = new Set(['serve', 'run', 'analyze', 'lsp', 'doctor', 'config']);

export interface CodeCache {
  dir: string;
  name: string;
  /** The cached code, when there is a usable file. */
  data: Buffer | undefined;
}

/** The code cache for `source` run with `argv`, or null when there is no cache directory. */
export function openCodeCache(source: Buffer, argv: readonly string[]): CodeCache | null {
  const dir = userCacheDir('code-cache');
  if (dir === null) return null;
  const name = codeCacheName(source, codeCacheProfile(argv));
  return { dir, name, data: readPrivateFile(path.join(dir, name)) };
}

/**
 * Caches of other bundles (or other node versions, flags) kept per command besides the current
 * one: two installations or two node versions in turn each keep theirs instead of replacing
 * each other's at every start; older ones go.
 */
const OTHER_CACHES_KEPT = 2;

/** Write the cache, keeping the command's OTHER_CACHES_KEPT most recent others. */
export function saveCodeCache(cache: CodeCache, data: Buffer): void {
  const profile = cache.name.slice(0, cache.name.indexOf('-') + 1);
  writePrivateFile(cache.dir, cache.name, data, {
    match: (entry) => entry.startsWith(profile) && entry.endsWith('.bin'),
    keep: OTHER_CACHES_KEPT,
  });
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
