/**
 * Editable installs of the workspace (`pip install -e .`) in a virtual environment. They leave a
 * .pth file (a line with the project's source directory) or a finder module
 * (`__editable___<name>_finder.py`, package names mapped to directories) in site-packages, and
 * both name the workspace by its host path. In a sandbox the workspace is at /workspace, so those
 * paths lead nowhere and `import` of the project fails, unless the workspace is also mounted at
 * its own path, which is what finding one here leads to (environment-probe.ts).
 *
 * The files are the venv's, so hostile: only names are matched (nothing is executed or
 * followed), through descriptors opened without following links, with bounded reads.
 */
import { constants } from 'node:fs';
import { open, opendir } from 'node:fs/promises';
import path from 'node:path';
import { readHeadAndClose } from './file-head.js';

const MAX_DIR_ENTRIES = 20_000;
const MAX_FILES = 64;
const MAX_FILE_BYTES = 64 * 1024;
/** What may follow the workspace's path where a file names a place inside it. */
const PATH_END = new Set(['/', '\n', '\r', '"', "'", '']);

/** Whether an editable-install file in one of `siteDirs` names `workspace` or a place in it. */
export async function namesWorkspace(
  siteDirs: readonly string[],
  workspace: string,
): Promise<boolean> {
  let budget = MAX_FILES;
  for (const dir of siteDirs) {
    for (const name of await editableFiles(dir)) {
      if (budget-- <= 0) return false;
      const text = await readBounded(path.join(dir, name));
      if (text !== null && mentions(text, workspace)) return true;
    }
  }
  return false;
}

function isEditableFile(name: string): boolean {
  return name.endsWith('.pth') || (name.startsWith('__editable__') && name.endsWith('.py'));
}

async function editableFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    const listing = await opendir(dir, { bufferSize: 256 });
    try {
      let seen = 0;
      for (let entry = await listing.read(); entry !== null; entry = await listing.read()) {
        if (++seen > MAX_DIR_ENTRIES) break;
        if (entry.isFile() && isEditableFile(entry.name)) names.push(entry.name);
      }
    } finally {
      await listing.close();
    }
  } catch {
    return [];
  }
  return names.sort();
}

async function readBounded(file: string): Promise<string | null> {
  let handle;
  try {
    // O_NOFOLLOW: a link planted in its place is not followed; O_NONBLOCK: a FIFO cannot hang.
    handle = await open(
      file,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
  } catch {
    return null;
  }
  return readHeadAndClose(handle, MAX_FILE_BYTES);
}

/** `workspace` in `text` as a whole path: followed by a separator, a quote or a line end. */
export function mentions(text: string, workspace: string): boolean {
  for (let at = text.indexOf(workspace); at !== -1; at = text.indexOf(workspace, at + 1)) {
    if (PATH_END.has(text.charAt(at + workspace.length))) return true;
  }
  return false;
}
