/**
 * The workspace's Python files as whole-workspace answers see them: listed by a walk that follows
 * no symlinks (each directory listed through a descriptor checked to be inside the workspace),
 * read through the path gate, and kept by mtime/size/inode, so a repeated search costs one gate
 * check and one stat per file. A file the gate refuses (not UTF-8, over the size cap) is reported
 * with the gate's reason, never read past it.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { PymcpError, errorMessage } from '../shared/errors.js';
import { fileStamp, stampOf } from '../shared/file-stamp.js';
import {
  approvedIdentity,
  readWorkspaceText,
  resolveWorkspaceFile,
  type WorkspaceFile,
} from '../shared/path-gate.js';
import { readWorkspaceDirectory } from '../shared/workspace-directory.js';

/** Directories never worth searching (and often huge). */
const SKIP_DIRS = new Set([
  'node_modules',
  '__pycache__',
  'site-packages',
  'venv',
  'dist',
  'build',
]);
/** Characters of matching files one search holds (about 2-4x as many bytes in memory). */
const MAX_SEARCH_TEXT_CHARS = 64 * 1024 * 1024;
/** Most files one walk lists; the rest are counted and reported, never read. */
export const MAX_WORKSPACE_FILES = 5000;
/** Text kept between searches; past it the oldest entries are read again when needed. */
const CACHE_BYTES = 64 * 1024 * 1024;
/** Client-sent paths whose gate answer is kept (see resolveStamped). */
const MAX_RESOLVED = 4096;
/** Files read at once during a search. */
const READ_PARALLEL = 16;

export interface FileText {
  file: WorkspaceFile;
  /** mtime/size/inode when read (taken before the read), or null when stat failed. */
  stamp: string | null;
  text: string;
}

export interface Refusal {
  file: string;
  reason: string;
}

export interface TextSearch {
  /** Files whose text matched, in path order. */
  matched: FileText[];
  /** Python files listed (at most MAX_WORKSPACE_FILES) and found. */
  listed: number;
  found: number;
  /** Files the gate refused, with its reason. */
  refused: Refusal[];
  /** Why the walk ended before the whole workspace was seen (see pythonFiles), or null. */
  stopped: string | null;
}

/** Directories one walk visits at most, and directory entries it reads at most. */
export const MAX_WALK_DIRECTORIES = 20_000;
export const MAX_WALK_ENTRIES = 1_000_000;

export interface PythonFileListing {
  /** Workspace-relative paths, sorted, at most `max` of the `found`. */
  files: string[];
  found: number;
  /** Why the walk ended before it had seen the whole workspace, or null when it had. */
  stopped: string | null;
}

/**
 * Python files under `root`. Security: the walk is bounded in depth, in directories visited and
 * in entries read, so a workspace of a million directories (or one directory of millions of
 * entries) costs a bounded walk, reported as `stopped`, not minutes and gigabytes.
 */
export async function pythonFiles(
  root: string,
  max: number,
  signal?: AbortSignal,
  bounds = { directories: MAX_WALK_DIRECTORIES, entries: MAX_WALK_ENTRIES },
): Promise<PythonFileListing> {
  const files: string[] = [];
  let found = 0;
  let directories = 0;
  let entriesRead = 0;
  let stopped: string | null = null;
  const realRoot = await realpath(root).catch(() => null);
  if (realRoot === null) return { files, found, stopped };
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 20 || stopped !== null) return;
    if (signal?.aborted) throw new PymcpError('cancelled', 'the workspace walk was cancelled');
    if (++directories > bounds.directories) {
      stopped = `the walk stopped at ${bounds.directories} directories`;
      return;
    }
    // Security: a directory swapped for a symlink to outside since its parent was listed is
    // not listed, so no name from outside the workspace reaches an answer.
    const listing = await readWorkspaceDirectory(realRoot, dir, bounds.entries - entriesRead);
    if (listing === null) return;
    const { entries } = listing;
    entriesRead += entries.length;
    if (listing.truncated) stopped = `the walk stopped at ${bounds.entries} directory entries`;
    // A virtual environment under any name (env/, .tox/py311/): installed code, not the project's.
    if (depth > 0 && entries.some((e) => e.name === 'pyvenv.cfg' && e.isFile())) return;
    // Code-unit order: as stable as locale order, and much cheaper in a directory of thousands.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      // Dirent types come from lstat: symlinks are neither files nor directories here.
      if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) {
        await walk(path.join(dir, entry.name), `${prefix}${entry.name}/`, depth + 1);
      } else if (entry.isFile() && isPythonPath(entry.name)) {
        found += 1;
        if (files.length < max) files.push(`${prefix}${entry.name}`);
      }
    }
  };
  await walk(realRoot, '', 0);
  return { files, found, stopped };
}

export function isPythonPath(name: string): boolean {
  return name.endsWith('.py') || name.endsWith('.pyi');
}

type Cached =
  { stamp: string; file: WorkspaceFile; text: string } | { stamp: string; reason: string };

export class WorkspaceFiles {
  private readonly cache = new Map<string, Cached>();
  private cachedBytes = 0;
  /** resolveStamped's answers by the path the client sent, oldest first. */
  private readonly resolved = new Map<string, { file: WorkspaceFile; stamp: string }>();

  constructor(
    readonly root: string,
    private readonly maxFileBytes: number,
  ) {}

  /** Resolve a path a client (or the walk) gave through the gate; throws path_denied. */
  resolve(input: string): Promise<WorkspaceFile> {
    return resolveWorkspaceFile(this.root, input, { maxBytes: this.maxFileBytes });
  }

  /**
   * resolve(), plus the file's stamp, for the paths clients name again and again. A path that
   * the gate found to be the file itself (no symlink on the way, nothing decoded) is not sent
   * through the gate again while its stamp is unchanged: the stamp's stat follows that same path,
   * so a file replaced, or a directory on the way swapped for a symlink, shows up as another
   * device/inode and the whole gate runs again. What the cache hands out was approved by the
   * gate, and what read() returns for it was read through the gate.
   */
  async resolveStamped(input: string): Promise<{ file: WorkspaceFile; stamp: string | null }> {
    const hit = this.resolved.get(input);
    if (hit !== undefined) {
      const stamp = stampOf(hit.file.absolute);
      if (stamp === hit.stamp) return hit;
      this.resolved.delete(input);
    }
    const file = await this.resolve(input);
    const stamped = fileStamp(file.absolute);
    // Only a path that is the file itself, whose stamp is of the inode the gate approved (not
    // of a file swapped in since the gate's check).
    const identity = approvedIdentity(file);
    if (
      stamped !== null &&
      path.resolve(this.root, input) === file.absolute &&
      identity?.dev === BigInt(stamped.dev) &&
      identity.ino === BigInt(stamped.ino)
    ) {
      if (this.resolved.size >= MAX_RESOLVED) {
        const oldest = this.resolved.keys().next();
        if (oldest.done !== true) this.resolved.delete(oldest.value);
      }
      this.resolved.set(input, { file, stamp: stamped.key });
    }
    return { file, stamp: stamped?.key ?? null };
  }

  /**
   * The text of a file the gate resolved, from the cache when its stamp is unchanged. `stamp`
   * is one taken just before (by resolveStamped), saving a second stat.
   */
  async read(file: WorkspaceFile, stamp = stampOf(file.absolute)): Promise<FileText> {
    // The stamp is taken before the read: a change in between leaves a stale stamp, which
    // makes the next read fetch the file again, never keep old text under a new stamp.
    const cached = this.cache.get(file.relative);
    if (cached !== undefined && 'text' in cached && stamp !== null && cached.stamp === stamp) {
      return { file, stamp, text: cached.text };
    }
    const text = await readWorkspaceText(file, { maxBytes: this.maxFileBytes });
    if (stamp !== null) this.remember(file.relative, { stamp, file, text });
    return { file, stamp, text };
  }

  /** Every listed Python file whose text `matches`, plus what was searched and refused. */
  async search(matches: (text: string) => boolean, signal?: AbortSignal): Promise<TextSearch> {
    const { files, found, stopped } = await pythonFiles(this.root, MAX_WORKSPACE_FILES, signal);
    const results: Array<FileText | Refusal | null> = new Array<null>(files.length).fill(null);
    let next = 0;
    let kept = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        if (signal?.aborted)
          throw new PymcpError('cancelled', 'the workspace search was cancelled');
        const index = next++;
        const result = await this.readListed(files[index] ?? '');
        if (result === null || ('text' in result && !matches(result.text))) continue;
        if ('text' in result) {
          kept += result.text.length;
          // Security: the texts of matching files are held until the answer is built; a
          // workspace of thousands of large matching files (hard links cost no disk) would
          // otherwise hold gigabytes. Past the cap a match is reported as not searched.
          if (kept > MAX_SEARCH_TEXT_CHARS) {
            results[index] = {
              file: result.file.relative,
              reason: `not searched: one search holds at most ${MAX_SEARCH_TEXT_CHARS} characters of matching files`,
            };
            continue;
          }
        }
        results[index] = result;
      }
    };
    await Promise.all(Array.from({ length: READ_PARALLEL }, worker));
    const matched: FileText[] = [];
    const refused: Refusal[] = [];
    for (const result of results) {
      if (result === null) continue;
      if ('text' in result) matched.push(result);
      else refused.push(result);
    }
    return { matched, listed: files.length, found, refused, stopped };
  }

  /**
   * A file the walk listed: from the cache when a stat says it has not changed (what is cached
   * was read, or refused, through the gate), else through the gate. Null when it is gone.
   */
  private async readListed(relative: string): Promise<FileText | Refusal | null> {
    const stamp = stampOf(path.join(this.root, relative));
    const cached = this.cache.get(relative);
    // Security: the stat (which follows links) only decides whether to re-read; what it returns
    // is text the gate read earlier, so a path swapped for a link to outside shows nothing of it.
    if (cached !== undefined && stamp !== null && cached.stamp === stamp) {
      return 'text' in cached
        ? { file: cached.file, stamp, text: cached.text }
        : { file: relative, reason: cached.reason };
    }
    try {
      return await this.read(await this.resolve(relative));
    } catch (error) {
      const reason = refusalReason(relative, error);
      // A file that vanished since the walk is not a refusal worth reporting.
      if (reason.startsWith('no such file')) return null;
      if (stamp !== null) this.remember(relative, { stamp, reason });
      return { file: relative, reason };
    }
  }

  private remember(relative: string, entry: Cached): void {
    const old = this.cache.get(relative);
    if (old !== undefined) {
      this.cache.delete(relative);
      this.cachedBytes -= 'text' in old ? old.text.length : 0;
    }
    const size = 'text' in entry ? entry.text.length : 0;
    if (size > CACHE_BYTES / 8) return;
    this.cache.set(relative, entry);
    this.cachedBytes += size;
    // Oldest first: a Map iterates in insertion order, and a re-read moves an entry to the end.
    for (const [key, value] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(key);
      this.cachedBytes -= 'text' in value ? value.text.length : 0;
    }
  }
}

/** The gate's message without the file's name: "not valid UTF-8 text". */
export function refusalReason(relative: string, error: unknown): string {
  const message = errorMessage(error);
  for (const prefix of [`${relative} is `, `${relative} `]) {
    if (message.startsWith(prefix)) return message.slice(prefix.length);
  }
  return message;
}
