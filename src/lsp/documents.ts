/**
 * The documents the language server sees, kept equal to the files on disk: every request first
 * re-reads the file through the path gate and sends the new text when it changed, so answers are
 * never about stale content. Diagnostics are matched to the document version they describe.
 */
import { stat } from 'node:fs/promises';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import {
  readWorkspaceText,
  resolveWorkspaceFile,
  type WorkspaceFile,
} from '../shared/path-gate.js';
import { LSP_WORKSPACE, type LspClient } from './lsp-client.js';
import { splitLines } from './positions.js';

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
}

export const SNIPPET_NAME = '<snippet>';

export class DocumentStore {
  private readonly docs = new Map<string, Tracked>();
  private snippetCounter = 0;

  constructor(
    private readonly client: LspClient,
    private readonly workspace: string | null,
    private readonly maxFileBytes: number,
  ) {
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
    if (this.workspace === null) {
      throw new PymcpError(
        'path_denied',
        'the server has no workspace; pass code instead of file, or start it with --workspace DIR',
      );
    }
    const file = await resolveWorkspaceFile(this.workspace, input, { maxBytes: this.maxFileBytes });
    const uri = pathToFileURL(`${LSP_WORKSPACE}/${file.relative}`).href;
    const [doc] = await Promise.all([this.load(file, uri), this.refreshOpen(uri)]);
    return doc;
  }

  /**
   * Re-send every open file (but `except`) that changed on disk since it was read, and close
   * the ones that disappeared. One stat per open file, all at once.
   */
  async refreshOpen(except?: string): Promise<void> {
    const open = [...this.docs.values()].filter((doc) => doc.source !== null && doc.uri !== except);
    await Promise.all(
      open.map(async (doc) => {
        if (doc.source === null || (await stampOf(doc.source.absolute)) === doc.source.stamp)
          return;
        try {
          if (this.workspace === null) throw new PymcpError('path_denied', 'no workspace');
          const file = await resolveWorkspaceFile(this.workspace, doc.relative, {
            maxBytes: this.maxFileBytes,
          });
          await this.load(file, doc.uri);
        } catch {
          await this.closeUri(doc.uri);
        }
      }),
    );
  }

  /** Send the file's text unless its mtime/size/inode say the server already has it. */
  private async load(file: WorkspaceFile, uri: string): Promise<SyncedDocument> {
    const stamp = await stampOf(file.absolute);
    const known = this.docs.get(uri);
    if (known?.source != null && stamp !== null && known.source.stamp === stamp) return known;
    const text = await readWorkspaceText(file, { maxBytes: this.maxFileBytes });
    const doc = await this.update(uri, file.relative, text);
    const tracked = this.docs.get(uri);
    if (tracked && stamp !== null) tracked.source = { absolute: file.absolute, stamp };
    return doc;
  }

  isOpen(relative: string): boolean {
    return this.docs.has(pathToFileURL(`${LSP_WORKSPACE}/${relative}`).href);
  }

  /** Stop tracking a workspace file (the server falls back to reading it from disk). */
  async closeFile(relative: string): Promise<void> {
    await this.closeUri(pathToFileURL(`${LSP_WORKSPACE}/${relative}`).href);
  }

  private async closeUri(uri: string): Promise<void> {
    if (!this.docs.delete(uri)) return;
    await this.client.notify('textDocument/didClose', { textDocument: { uri } });
  }

  /** Analyse code that is not on disk, as an unsaved document inside the workspace. */
  async openSnippet(code: string): Promise<SyncedDocument & { close(): Promise<void> }> {
    const root = this.workspace === null ? '/tmp' : LSP_WORKSPACE;
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
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch {
      return { relative: null, display: uri.slice(0, 300) };
    }
    const prefix = `${LSP_WORKSPACE}/`;
    if (this.workspace !== null && file.startsWith(prefix)) {
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
    if (relative === null || this.workspace === null) return null;
    try {
      const file = await resolveWorkspaceFile(this.workspace, relative, {
        maxBytes: this.maxFileBytes,
      });
      return await readWorkspaceText(file, { maxBytes: this.maxFileBytes });
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

async function stampOf(file: string): Promise<string | null> {
  try {
    const info = await stat(file);
    return `${info.mtimeMs}:${info.size}:${info.ino}`;
  } catch {
    return null;
  }
}
