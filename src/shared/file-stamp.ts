/**
 * What tells a host file's version apart cheaply: mtime, size, device and inode, from one stat
 * that follows links. Synchronous: one stat of a local file takes microseconds, a trip through
 * the thread pool several times more, and every lsp_* answer takes one per open document.
 */
import { statSync } from 'node:fs';

export interface FileStamp {
  /** mtime:size:dev:ino, compared as a whole. */
  key: string;
  dev: number;
  ino: number;
}

export function fileStamp(file: string): FileStamp | null {
  // Numbers, not bigints: a bigint stat allocates a BigInt per field, several times the cost
  // of the stat itself. An inode past 2^53 may then round (compare it exactly before trusting it).
  const info = statSync(file, { throwIfNoEntry: false });
  if (info === undefined) return null;
  return {
    key: `${info.mtimeMs}:${info.size}:${info.dev}:${info.ino}`,
    dev: info.dev,
    ino: info.ino,
  };
}

/** fileStamp's key, or null when the file cannot be stat()ed. */
export function stampOf(file: string): string | null {
  return fileStamp(file)?.key ?? null;
}
