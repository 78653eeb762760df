/**
 * The documents the language server sees, kept equal to the files on disk: every request first
 * re-reads the file through the path gate and sends the new text when it changed, so answers are
 * never about stale content. Diagnostics are matched to the document version they describe.
 */
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import { LSP_WORKSPACE, type LspClient } from './lsp-client.js';
import { splitLines } from './positions.js';
import { stampOf } from '../shared/file-stamp.js';
import type { WorkspaceFile } from '../shared/path-gate.js';
import { isPythonPath, WorkspaceFiles, type FileText } from './workspace-files.js';

export interface SyncedDocument {
  uri: string;
  /** Workspace-relative path ('<snippet>' for code sent inline). */
  relative: string;
  version: number;
  text: string;
  lines: string[];
}

export interface DiagnosticsResult {
  /** False when the server had not reported on this version within the wait. */
  known: boolean;
  diagnostics: Diagnostic[];
}

interface Tracked extends SyncedDocument {
  /** Host file and its mtime/size/inode when last read; null for snippets. */
  source: { absolute: string; stamp: string } | null;
  /** Diagnostics the server published for `version`, if any yet. */
  published: Diagnostic[] | null;
  waiters: Array<() => void>;
  /** When an answer last needed it (a counter), for closing the least recently used. */
  used: number;
}

export const SNIPPET_NAME = '<snippet>';
/** Workspace files kept open in the server; past it the least recently used are closed. */
export const MAX_OPEN_DOCUMENTS = 1000;

export class DocumentStore {
  private readonly docs = new Map<string, Tracked>();
  private snippetCounter = 0;
  private readonly uris = new WeakMap<WorkspaceFile, string>();
  private clock = 0;
  /** The workspace's files, read through the gate and cached; null without a workspace. */
  readonly files: WorkspaceFiles | null;

  constructor(
    private readonly client: LspClient,
    workspace: string | null,
    maxFileBytes: number,
  ) {
    this.files = workspace === null ? null : new WorkspaceFiles(workspace, maxFileBytes);
    client.onDiagnostics((params) => {
      this.onPublish(params);
    });
    // After a restart the server knows no documents: forget ours so they are opened again.
    client.onRestart(() => {
      this.docs.clear();
    });
  }

  /**
   * Open or refresh a workspace file (`input` is whatever path the client sent), and re-send
   * every other open file that changed on disk, so no answer is computed from stale text.
   */
  async sync(input: string): Promise<SyncedDocument> {
    if (this.files === null) {
      throw new PymcpError(
        'path_denied',
        'the server has no workspace; pass code instead of file, or start it with --workspace DIR',
      );
    }
    const { file, stamp } = await this.files.resolveStamped(input);
    if (!isPythonPath(file.relative)) {
      throw new PymcpError(
        'input_invalid',
        `${file.relative} is not a Python file (.py or .pyi); the lsp_* tools analyse Python source`,
      );
    }
    const uri = this.uriOfFile(file);
    const known = this.docs.get(uri);
    if (known?.source != null && stamp !== null && known.source.stamp === stamp) {
      // The server has this very version (load() would read the text only to find that out):
      // only the other open files are checked.
      known.used = ++this.clock;
      const changed = this.changedOpen(uri);
      if (changed.length > 0) await this.refresh(changed);
      return known;
    }
    const [doc] = await Promise.all([
      this.files.read(file, stamp).then((read) => this.load(read, uri)),
      this.refreshOpen(uri),
    ]);
    return doc;
  }

  /** uriOf(file.relative), made once per approved file (resolveStamped hands out the same one). */
  private uriOfFile(file: WorkspaceFile): string {
    let uri = this.uris.get(file);
    if (uri === undefined) {
      uri = uriOf(file.relative);
      this.uris.set(file, uri);
    }
    return uri;
  }

  /**
   * Make sure the server has these files open with their current text (whole-workspace answers
   * open every file that names a symbol), then close the least recently used beyond
   * MAX_OPEN_DOCUMENTS. Files it already has unchanged cost nothing.
   */
  async openAll(reads: readonly FileText[]): Promise<SyncedDocument[]> {
    const now = ++this.clock;
    const docs: SyncedDocument[] = [];
    for (const read of reads) {
      const doc = await this.load(read, uriOf(read.file.relative));
      const tracked = this.docs.get(doc.uri);
      if (tracked) tracked.used = now;
      docs.push(doc);
    }
    const open = [...this.docs.values()].filter((d) => d.source !== null && d.used < now);
    open.sort((a, b) => a.used - b.used);
    for (const doc of open.slice(0, Math.max(0, this.docs.size - MAX_OPEN_DOCUMENTS))) {
      await this.closeUri(doc.uri);
    }
    return docs;
  }

  /**
   * Re-send every open file (but `except`) that changed on disk since it was read, and close
   * the ones that disappeared. One stat per open file (synchronous: microseconds each).
   */
  async refreshOpen(except?: string): Promise<void> {
    const changed = this.changedOpen(except);
    if (changed.length > 0) await this.refresh(changed);
  }

  /** Open files (but `except`) whose stamp on disk is not the one the server has. */
  private changedOpen(except?: string): Tracked[] {
    const changed: Tracked[] = [];
    for (const doc of this.docs.values()) {
      if (
        doc.source !== null &&
        doc.uri !== except &&
        stampOf(doc.source.absolute) !== doc.source.stamp
      )
        changed.push(doc);
    }
    return changed;
  }

  /** Re-send the files that changed, or close the ones that cannot be read any more. */
  private async refresh(changed: readonly Tracked[]): Promise<void> {
    await Promise.all(
      changed.map(async (doc) => {
        try {
          if (this.files === null) throw new PymcpError('path_denied', 'no workspace');
          const read = await this.files.read(await this.files.resolve(doc.relative));
          await this.load(read, doc.uri);
        } catch {
          await this.closeUri(doc.uri);
        }
      }),
    );
  }

  /** Send the file's text unless its stamp says the server already has it. */
  private async load(read: FileText, uri: string): Promise<SyncedDocument> {
    const known = this.docs.get(uri);
    if (known !== undefined) known.used = ++this.clock;
    if (known?.source != null && read.stamp !== null && known.source.stamp === read.stamp) {
      return known;
    }
    const doc = await this.update(uri, read.file.relative, read.text);
    const tracked = this.docs.get(uri);
    if (tracked && read.stamp !== null)
      tracked.source = { absolute: read.file.absolute, stamp: read.stamp };
    return doc;
  }

  isOpen(relative: string): boolean {
    return this.docs.has(uriOf(relative));
  }

  /** Stop tracking a workspace file (the server falls back to reading it from disk). */
  async closeFile(relative: string): Promise<void> {
    await this.closeUri(uriOf(relative));
  }

  private async closeUri(uri: string): Promise<void> {
    if (!this.docs.delete(uri)) return;
    await this.client.notify('textDocument/didClose', { textDocument: { uri } });
  }

  /** Analyse code that is not on disk, as an unsaved document inside the workspace. */
  async openSnippet(code: string): Promise<SyncedDocument & { close(): Promise<void> }> {
    const root = this.files === null ? '/tmp' : LSP_WORKSPACE;
    const uri = pathToFileURL(`${root}/__pymcp_snippet_${++this.snippetCounter}__.py`).href;
    const doc = await this.update(uri, SNIPPET_NAME, code);
    return {
      ...doc,
      close: () => this.closeUri(uri),
    };
  }

  async diagnostics(
    doc: SyncedDocument,
    options: { waitMs: number; signal?: AbortSignal | undefined },
  ): Promise<DiagnosticsResult> {
    const tracked = this.docs.get(doc.uri);
    if (tracked === undefined) return { known: false, diagnostics: [] };
    // Wait for a pushed report on this version, or for the server to offer pull diagnostics
    // (pyright registers them just after start-up, and from then on stops pushing).
    const deadline = performance.now() + options.waitMs;
    while (!this.supportsPull() && tracked.published === null && performance.now() < deadline) {
      if (options.signal?.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(50, Math.max(0, deadline - performance.now())));
        tracked.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.supportsPull()) return this.pull(doc, options.signal);
    // Only a report for the version we just sent counts; an older one would be stale.
    if (tracked.version === doc.version && tracked.published !== null) {
      return { known: true, diagnostics: tracked.published };
    }
    return { known: false, diagnostics: [] };
  }

  private supportsPull(): boolean {
    return this.client.supports('diagnosticProvider', 'textDocument/diagnostic');
  }

  private async pull(doc: SyncedDocument, signal?: AbortSignal): Promise<DiagnosticsResult> {
    const report = await this.client.request<{ kind: string; items?: Diagnostic[] }>(
      'textDocument/diagnostic',
      { textDocument: { uri: doc.uri } },
      { signal },
    );
    // Without a previousResultId the server must answer in full; anything else is not an answer.
    return report.kind === 'full'
      ? { known: true, diagnostics: report.items ?? [] }
      : { known: false, diagnostics: [] };
  }

  /** Workspace-relative path for a URI from the server, or its sandbox path when outside. */
  describeUri(uri: string): { relative: string | null; display: string } {
    const tracked = this.docs.get(uri);
    if (tracked?.relative === SNIPPET_NAME) return { relative: null, display: SNIPPET_NAME };
    // An open workspace file: its URI was made from this path (uriOf), so no need to parse it.
    if (tracked !== undefined && tracked.source !== null) {
      return { relative: tracked.relative, display: tracked.relative };
    }
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch {
      return { relative: null, display: uri.slice(0, 300) };
    }
    const prefix = `${LSP_WORKSPACE}/`;
    if (this.files !== null && file.startsWith(prefix)) {
      const relative = file.slice(prefix.length);
      return { relative, display: relative };
    }
    return { relative: null, display: file };
  }

  /** Lines of a workspace file for showing a result's source line (documents we hold first). */
  async linesOf(uri: string): Promise<string[] | null> {
    const tracked = this.docs.get(uri);
    if (tracked) return tracked.lines;
    const text = await this.textOf(uri);
    return text === null ? null : splitLines(text);
  }

  /** A workspace file's whole text (line endings intact), or null when outside or unreadable. */
  async textOf(uri: string): Promise<string | null> {
    const tracked = this.docs.get(uri);
    if (tracked) return tracked.text;
    const { relative } = this.describeUri(uri);
    if (relative === null || this.files === null) return null;
    try {
      // Through the gate as sync() goes: a file the gate approved as itself is checked again by
      // its stamp (a stat of the same path) and runs the whole gate when that changed.
      const { file, stamp } = await this.files.resolveStamped(relative);
      return (await this.files.read(file, stamp)).text;
    } catch {
      return null;
    }
  }

  private async update(uri: string, relative: string, text: string): Promise<SyncedDocument> {
    const existing = this.docs.get(uri);
    if (existing?.text === text) return existing;
    if (existing === undefined) {
      const doc: Tracked = {
        uri,
        relative,
        version: 1,
        text,
        lines: splitLines(text),
        source: null,
        published: null,
        waiters: [],
        used: ++this.clock,
      };
      this.docs.set(uri, doc);
      await this.client.notify('textDocument/didOpen', {
        textDocument: { uri, languageId: 'python', version: doc.version, text },
      });
      return doc;
    }
    existing.version += 1;
    existing.text = text;
    existing.lines = splitLines(text);
    existing.published = null;
    await this.client.notify('textDocument/didChange', {
      textDocument: { uri, version: existing.version },
      contentChanges: [{ text }],
    });
    return existing;
  }

  private onPublish(params: PublishDiagnosticsParams): void {
    const doc = this.docs.get(params.uri);
    if (doc === undefined) return;
    // A versioned report for an older version is stale; an unversioned one describes the latest.
    if (params.version !== undefined && params.version !== doc.version) return;
    doc.published = params.diagnostics;
    for (const waiter of doc.waiters.splice(0)) waiter();
  }
}

/** The server's URI for a workspace-relative path. */
export function uriOf(relative: string): string {
  return pathToFileURL(`${LSP_WORKSPACE}/${relative}`).href;
}
