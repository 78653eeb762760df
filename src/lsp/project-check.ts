/**
 * Diagnostics for the whole workspace: every Python file (bounded), opened and checked, then
 * summarised. Walks the host tree without following symlinks, listing each directory through a
 * descriptor checked to be inside the workspace; each file still passes the gate.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { readWorkspaceDirectory } from '../shared/workspace-directory.js';
import type { CodeIntel, DiagnosticItem } from './code-intel.js';

/** Directories never worth checking (and often huge). */
const SKIP_DIRS = new Set([
  'node_modules',
  '__pycache__',
  'site-packages',
  'venv',
  'dist',
  'build',
]);
export const MAX_PROJECT_FILES = 500;

export interface ProjectReport {
  files_checked: number;
  files_found: number;
  /** Files whose diagnostics were not reported in time. */
  files_unknown: string[];
  counts: { error: number; warning: number; information: number; hint: number };
  items: DiagnosticItem[];
}

export async function pythonFiles(
  root: string,
  max: number,
): Promise<{ files: string[]; found: number }> {
  const files: string[] = [];
  let found = 0;
  const realRoot = await realpath(root).catch(() => null);
  if (realRoot === null) return { files, found };
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 20) return;
    // Security: a directory swapped for a symlink to outside since its parent was listed is
    // not listed, so no name from outside the workspace reaches the report.
    const entries = await readWorkspaceDirectory(realRoot, dir);
    if (entries === null) return;
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      // Dirent types come from lstat: symlinks are neither files nor directories here.
      if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) await walk(full, depth + 1);
      else if (entry.isFile() && (entry.name.endsWith('.py') || entry.name.endsWith('.pyi'))) {
        found += 1;
        if (files.length < max) {
          files.push(path.relative(realRoot, full).split(path.sep).join('/'));
        }
      }
    }
  };
  await walk(realRoot, 0);
  return { files, found };
}

export async function checkProject(
  intel: CodeIntel,
  root: string,
  options: { waitMs: number; signal?: AbortSignal | undefined },
): Promise<ProjectReport> {
  const { files, found } = await pythonFiles(root, MAX_PROJECT_FILES);
  const items: DiagnosticItem[] = [];
  const unknown: string[] = [];
  for (const file of files) {
    if (options.signal?.aborted) break;
    const wasOpen = intel.isOpen(file);
    const result = await intel.diagnostics({ file }, options);
    // Keep the server's open set (and refreshOpen's stat calls) small.
    if (!wasOpen) await intel.closeFile(file);
    if (!result.known) unknown.push(file);
    items.push(...result.items);
  }
  const counts = { error: 0, warning: 0, information: 0, hint: 0 };
  for (const item of items) counts[item.severity] += 1;
  const rank = { error: 0, warning: 1, information: 2, hint: 3 };
  items.sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] || a.file.localeCompare(b.file) || a.line - b.line,
  );
  return { files_checked: files.length, files_found: found, files_unknown: unknown, counts, items };
}
