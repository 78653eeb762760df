/**
 * Where an open descriptor really is. Linux names the file behind descriptor N at
 * /proc/self/fd/N, whatever happened to the path it was opened by; and a path through
 * /proc/self/fd/N/ looks a name up in the directory held open as N, which is openat()/renameat()
 * for a runtime that has only path-based calls. The path gate checks what it opened with these,
 * not the path it opened it by, so a directory swapped for a symlink between a check and an
 * open cannot hand it a file elsewhere.
 */
import { readlinkSync } from 'node:fs';
import { readlink, type FileHandle } from 'node:fs/promises';

/**
 * Linux O_PATH, which fs.constants lacks: a descriptor to fstat() and locate that opens nothing
 * (no FIFO blocks, no device sees an open). The asm-generic value, used by every architecture
 * Node runs on; elsewhere (no /proc/self/fd) descriptorPath() finds nothing and the gate refuses.
 */
export const O_PATH = 0o10000000;

const DELETED_SUFFIX = ' (deleted)';

/**
 * The absolute path of the file open as `handle`, or null when it has none a workspace file
 * could have: unlinked, not reachable from this process's root, or no /proc to ask.
 */
export async function descriptorPath(handle: FileHandle): Promise<string | null> {
  let target: string;
  try {
    target = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return null;
  }
  return workspaceTarget(target);
}

/**
 * descriptorPath for a raw descriptor, without a trip through the thread pool: one readlink of
 * /proc, which never waits on a disk, so the hot path of the gate costs microseconds.
 */
export function descriptorPathSync(fd: number): string | null {
  let target: string;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
  return workspaceTarget(target);
}

function workspaceTarget(target: string): string | null {
  // Security: an unlinked file is nowhere in the workspace any more; the kernel marks its name.
  if (target.endsWith(DELETED_SUFFIX)) return null;
  // Security: anything but an absolute path is a pipe, socket or anonymous inode, or a file
  // outside this process's root; none of them is a workspace file.
  if (!target.startsWith('/')) return null;
  return target;
}

export function inDirectory(directory: FileHandle, name: string): string {
  // Security: one component only; 'a/b' or '..' would walk on from the held directory by path.
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(`not a single file name: ${JSON.stringify(name)}`);
  }
  return `/proc/self/fd/${directory.fd}/${name}`;
}

/** The path of the directory held open as `directory` itself, e.g. for readdir(). */
export function heldDirectory(directory: FileHandle): string {
  return `/proc/self/fd/${directory.fd}`;
}
