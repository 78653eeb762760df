/**
 * Probes the host for what the sandbox profile needs: how /bin and friends are laid out, which
 * allowlisted /etc entries exist, and whether a directory is reachable by the sandbox's uid.
 */
import { lstat, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { ETC_ALLOWLIST, ROOT_DIRS, type HostLayout, type RootEntry } from './bwrap.js';
import { pathExists } from './path-exists.js';

export async function probeHostLayout(): Promise<HostLayout> {
  // All at once (a dozen file-system calls, one after the other, were a few ms of start-up);
  // the results keep the lists' order.
  const [rootEntries, present] = await Promise.all([
    Promise.all(ROOT_DIRS.map(async (dir) => [dir, await rootEntry(dir)] as const)),
    Promise.all(ETC_ALLOWLIST.map(pathExists)),
  ]);
  return {
    roots: Object.fromEntries(rootEntries),
    etc: ETC_ALLOWLIST.filter((_, index) => present[index] === true),
  };
}

async function rootEntry(dir: string): Promise<RootEntry> {
  try {
    const info = await lstat(dir);
    if (info.isSymbolicLink()) return { kind: 'symlink', target: await readlink(dir) };
    return info.isDirectory() ? { kind: 'dir' } : { kind: 'missing' };
  } catch {
    return { kind: 'missing' };
  }
}

/**
 * Why `dir` cannot be bind-mounted by a process running as uid/gid (bubblewrap resolves mount
 * sources with the sandbox's credentials), or null when it can. Every ancestor must be
 * searchable and the directory itself readable and searchable.
 */
export async function unreachableReason(
  dir: string,
  uid: number,
  gid: number,
): Promise<string | null> {
  const absolute = path.resolve(dir);
  const chain: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    chain.unshift(current);
    if (current === path.dirname(current)) break;
  }
  for (const [index, current] of chain.entries()) {
    let info;
    try {
      info = await stat(current);
    } catch (error) {
      return `${current}: ${(error as Error).message}`;
    }
    if (!info.isDirectory()) return `${current} is not a directory`;
    const shift = info.uid === uid ? 6 : info.gid === gid ? 3 : 0;
    const bits = (info.mode >> shift) & 0o7;
    const needed = index === chain.length - 1 ? 0o5 : 0o1;
    if ((bits & needed) !== needed) {
      return `${current} (mode ${(info.mode & 0o777).toString(8)}, owner ${info.uid}) is not ${needed === 0o5 ? 'readable' : 'searchable'} by uid ${uid}`;
    }
  }
  return null;
}
