/**
 * Listing a workspace directory for a walk over the workspace (the whole-project check): through
 * a descriptor checked to be inside the real workspace root, so a directory swapped for a
 * symlink to outside between being listed as a directory and being opened lists nothing of
 * what is outside, not even names.
 */
import { constants, type Dirent } from 'node:fs';
import { open, opendir } from 'node:fs/promises';
import { descriptorPath, heldDirectory } from './descriptor-path.js';
import { relativeToWorkspace } from './path-gate.js';

/**
 * The entries of `dir` (an absolute path under `realRoot`, the real workspace root), with their
 * types as lstat() sees them, at most `maxEntries` of them (`truncated` says some were left);
 * null when it is not a directory inside the workspace (any more) or cannot be read.
 */
export async function readWorkspaceDirectory(
  realRoot: string,
  dir: string,
  maxEntries = Number.POSITIVE_INFINITY,
): Promise<{ entries: Dirent[]; truncated: boolean } | null> {
  let handle;
  try {
    // Security: O_NOFOLLOW refuses a directory that has become a symlink; O_DIRECTORY anything else.
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const where = await descriptorPath(handle);
    // Security: what was opened must be inside the workspace; O_NOFOLLOW guards only the last
    // component, and a directory above it may have been swapped for a symlink to outside.
    if (where === null || relativeToWorkspace(realRoot, where) === null) return null;
    // Listed through the descriptor, so the checked directory is the one listed; read in
    // batches, so a directory of millions of entries costs no more than `maxEntries` of them.
    const listing = await opendir(heldDirectory(handle), { bufferSize: 256 });
    const entries: Dirent[] = [];
    try {
      for (let entry = await listing.read(); entry !== null; entry = await listing.read()) {
        if (entries.length >= maxEntries) return { entries, truncated: true };
        entries.push(entry);
      }
    } finally {
      await listing.close();
    }
    return { entries, truncated: false };
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
