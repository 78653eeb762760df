/**
 * Diagnostics for the whole workspace: every Python file (bounded), read through the path gate,
 * opened and checked, then summarised. A file that cannot be checked (the gate refuses it, the
 * server fails on it twice) is listed with the reason and the rest is checked. Files stay open
 * afterwards (the least recently used close past a cap), so a repeated check re-sends nothing
 * that did not change, and nothing is closed while the server may still be analysing it.
 */
import path from 'node:path';
import { stampOf } from '../shared/file-stamp.js';
import { isPymcpError } from '../shared/errors.js';
import { MAX_PROJECT_FILES } from './answer-limits.js';
import type { CodeIntel, DiagnosticItem } from './code-intel.js';
import {
  pythonFiles,
  refusalReason,
  type FileText,
  type PythonFileListing,
  type Refusal,
} from './workspace-files.js';

/** Files asked about at once: pull requests queue in the server; pushed reports (pylsp lints
 * half a second after a change) come in parallel. */
const CHECK_PARALLEL = 8;
/** Pause before asking again about a file the server failed on. */
const RETRY_DELAY_MS = 300;

export interface ProjectReport {
  files_checked: number;
  files_found: number;
  /** Why the workspace walk ended early (a bound on its size), or null when it saw everything. */
  walk_stopped: string | null;
  /** Files whose diagnostics were not reported in time. */
  files_unknown: string[];
  /** Files that could not be checked, with why; the rest were checked. */
  files_failed: Refusal[];
  counts: { error: number; warning: number; information: number; hint: number };
  items: DiagnosticItem[];
}

export interface CheckOptions {
  waitMs: number;
  signal?: AbortSignal | undefined;
  /** Called after each file: how many are done of how many. */
  onProgress?: ((done: number, total: number, file: string) => void) | undefined;
}

/**
 * The project check of one language server, remembering its last report: later pages of a
 * check are read from that report while no listed file changed, instead of checking again.
 */
export class ProjectCheck {
  private last: { report: ProjectReport; stamps: string } | null = null;

  constructor(private readonly intel: CodeIntel) {}

  /** A new check, or (reuse) the last one when the workspace's files have not changed since. */
  async run(options: CheckOptions & { reuse: boolean }): Promise<{
    report: ProjectReport;
    reused: boolean;
  }> {
    const root = this.intel.workspaceFiles?.root ?? null;
    const listing =
      root === null
        ? { files: [], found: 0, stopped: null }
        : await pythonFiles(root, MAX_PROJECT_FILES, options.signal);
    const stamps = root === null ? '' : stampsOf(root, listing.files);
    if (options.reuse && this.last !== null && this.last.stamps === stamps) {
      return { report: this.last.report, reused: true };
    }
    const report = await checkProject(this.intel, options, listing);
    // Only a complete check is worth paging through later.
    if (!options.signal?.aborted) this.last = { report, stamps };
    return { report, reused: false };
  }
}

export async function checkProject(
  intel: CodeIntel,
  options: CheckOptions,
  listing?: PythonFileListing,
): Promise<ProjectReport> {
  const workspace = intel.workspaceFiles;
  const { files, found, stopped } =
    listing ??
    (workspace === null
      ? { files: [], found: 0, stopped: null }
      : await pythonFiles(workspace.root, MAX_PROJECT_FILES, options.signal));
  await intel.refreshOpen();
  const items: DiagnosticItem[] = [];
  const unknown: string[] = [];
  const failed: Refusal[] = [];
  let done = 0;
  let next = 0;
  const checkOne = async (relative: string): Promise<void> => {
    if (workspace === null) return;
    let read: FileText;
    try {
      read = await workspace.read(await workspace.resolve(relative));
    } catch (error) {
      failed.push({ file: relative, reason: refusalReason(relative, error) });
      return;
    }
    let result;
    try {
      result = await intel.fileDiagnostics(read, options);
    } catch (error) {
      if (!isPymcpError(error, 'lsp_failed') || options.signal?.aborted) throw error;
      // pyright sometimes fails a file's first check while it is still settling after files
      // opened and closed around it; asking again about a freshly opened copy succeeds.
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      try {
        result = await intel.fileDiagnostics(read, { ...options, reopen: true });
      } catch (again) {
        if (!isPymcpError(again, 'lsp_failed')) throw again;
        failed.push({ file: relative, reason: again.message });
        return;
      }
    }
    if (!result.known) unknown.push(relative);
    items.push(...result.items);
  };
  const worker = async (): Promise<void> => {
    while (next < files.length && !options.signal?.aborted) {
      const relative = files[next++] ?? '';
      await checkOne(relative);
      done += 1;
      options.onProgress?.(done, files.length, relative);
    }
  };
  await Promise.all(Array.from({ length: CHECK_PARALLEL }, worker));
  const counts = { error: 0, warning: 0, information: 0, hint: 0 };
  for (const item of items) counts[item.severity] += 1;
  const rank = { error: 0, warning: 1, information: 2, hint: 3 };
  items.sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column,
  );
  const byFile = (a: string, b: string): number => a.localeCompare(b);
  return {
    files_checked: files.length - failed.length,
    files_found: found,
    walk_stopped: stopped,
    files_unknown: unknown.sort(byFile),
    files_failed: failed.sort((a, b) => byFile(a.file, b.file)),
    counts,
    items,
  };
}

/** One string that changes when a listed file is added, removed or changed. */
function stampsOf(root: string, files: readonly string[]): string {
  const stamps = files.map((file) => stampOf(path.join(root, file)));
  return files.map((file, index) => `${file}=${stamps[index] ?? ''}`).join('\n');
}
