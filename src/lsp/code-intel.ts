/**
 * Code intelligence as models ask for it: a file (or a code snippet) plus a line/column or a
 * symbol, answered with workspace-relative, 1-based locations and the source line. Each method
 * checks the server offers the feature: unsupported is an error, never an empty result.
 */
import type {
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  Hover,
  Location,
  LocationLink,
  ServerCapabilities,
  SignatureHelp,
  SymbolInformation,
} from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import {
  callOpening,
  flattenSymbols,
  resolveAddress,
  type Address,
  type NamedSymbol,
} from './addressing.js';
import type { DocumentStore, SyncedDocument } from './documents.js';
import type { LspClient } from './lsp-client.js';
import { COMPLETION_KINDS, SYMBOL_KINDS } from './kinds.js';
import { documentationText, hoverText } from './markup.js';
import { toHuman, offsetToColumn, type PositionEncoding } from './positions.js';
import { renameChanges, type FileChange } from './rename.js';
import { SourceLocator, type SourceLocation } from './source-locations.js';
import { WholeWorkspace, asLocations, type Coverage } from './whole-workspace.js';
import type { FileText, WorkspaceFiles } from './workspace-files.js';
import { workspaceSymbols, type SymbolItem, type SymbolSearch } from './workspace-symbols.js';

export type { Coverage, FileChange, SourceLocation, SymbolItem, SymbolSearch };

export interface Target extends Address {
  file?: string | undefined;
  code?: string | undefined;
}

export interface DiagnosticItem {
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  severity: 'error' | 'warning' | 'information' | 'hint';
  message: string;
  code: string | null;
  source: string | null;
}

export interface SignatureItem {
  label: string;
  documentation: string | null;
}

const SEVERITIES = ['error', 'error', 'warning', 'information', 'hint'] as const;

export class CodeIntel {
  private readonly whole: WholeWorkspace;
  private readonly locator: SourceLocator;

  constructor(
    private readonly client: LspClient,
    private readonly store: DocumentStore,
  ) {
    this.whole = new WholeWorkspace(client, store);
    this.locator = new SourceLocator(store, () => client.positionEncoding);
  }

  get serverKind(): string {
    return this.client.kind;
  }

  async diagnostics(
    target: Target,
    options: { waitMs: number; signal?: AbortSignal | undefined },
  ): Promise<{ file: string; known: boolean; items: DiagnosticItem[] }> {
    return this.withDocument(target, async (doc) => {
      const result = await this.store.diagnostics(doc, options);
      return {
        file: doc.relative,
        known: result.known,
        items: result.diagnostics.map((d) => diagnosticItem(doc, d, this.client.positionEncoding)),
      };
    });
  }

  async hover(
    target: Target,
    signal?: AbortSignal,
  ): Promise<{ location: SourceLocation; contents: string } | null> {
    await this.require('hoverProvider', 'hover');
    return this.withDocument(target, async (doc) => {
      const position = await this.position(doc, target, signal);
      const hover = await this.client.request<Hover | null>(
        'textDocument/hover',
        { textDocument: { uri: doc.uri }, position },
        { signal },
      );
      if (hover === null) return null;
      const range = hover.range ?? { start: position, end: position };
      return {
        location: await this.locator.one({ uri: doc.uri, range }),
        contents: hoverText(hover.contents),
      };
    });
  }

  async definition(target: Target, signal?: AbortSignal): Promise<SourceLocation[]> {
    await this.require('definitionProvider', 'go to definition');
    return this.locations('textDocument/definition', target, {}, signal);
  }

  /**
   * Every use of the name at the target across the workspace, sorted; `coverage` says what was
   * searched (null when there was no name at the position to search for).
   */
  async references(
    target: Target,
    includeDeclaration: boolean,
    signal?: AbortSignal,
  ): Promise<{ locations: SourceLocation[]; coverage: Coverage | null }> {
    await this.require('referencesProvider', 'find references');
    return this.withDocument(target, async (doc) => {
      const position = await this.position(doc, target, signal);
      const { locations, coverage } = await this.whole.references(
        doc,
        position,
        includeDeclaration,
        signal,
      );
      return { locations: await this.locator.all(locations), coverage };
    });
  }

  async completions(
    target: Target,
    signal?: AbortSignal,
  ): Promise<Array<{ label: string; kind: string; detail: string | null }>> {
    await this.require('completionProvider', 'completion');
    return this.withDocument(target, async (doc) => {
      const position = await this.position(doc, target, signal);
      const result = await this.client.request<CompletionItem[] | CompletionList | null>(
        'textDocument/completion',
        { textDocument: { uri: doc.uri }, position },
        { signal },
      );
      const items = Array.isArray(result) ? result : (result?.items ?? []);
      return items
        .slice()
        .sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label))
        .map((item) => ({
          label: item.label,
          kind: COMPLETION_KINDS[item.kind ?? 0] ?? 'text',
          detail: item.detail ?? item.labelDetails?.description ?? null,
        }));
    });
  }

  /**
   * The signature of a call. With line + symbol, the call of that name on the line (not the
   * call its name sits inside); with line + column, the call around that position.
   */
  async signatureHelp(
    target: Target,
    signal?: AbortSignal,
  ): Promise<{
    signatures: SignatureItem[];
    activeSignature: number | null;
    activeParameter: number | null;
  } | null> {
    await this.require('signatureHelpProvider', 'signature help');
    return this.withDocument(target, async (doc) => {
      let position = await this.position(doc, target, signal);
      if (target.line !== undefined && target.symbol !== undefined) {
        const inside = callOpening(doc.lines, position, this.client.positionEncoding);
        if (inside === null) {
          throw new PymcpError(
            'symbol_not_found',
            `"${target.symbol.slice(0, 100)}" is not called on line ${target.line} (no "(" follows it); give the line and the column of a position inside the call's parentheses`,
          );
        }
        position = inside;
      }
      const help = await this.client.request<SignatureHelp | null>(
        'textDocument/signatureHelp',
        { textDocument: { uri: doc.uri }, position },
        { signal },
      );
      if (help === null) return null;
      return {
        signatures: help.signatures.map((s) => ({
          label: s.label,
          documentation: documentationText(s.documentation),
        })),
        activeSignature: help.activeSignature ?? null,
        activeParameter: help.activeParameter ?? null,
      };
    });
  }

  async documentSymbols(target: Target, signal?: AbortSignal): Promise<SymbolItem[]> {
    await this.require('documentSymbolProvider', 'document symbols');
    return this.withDocument(target, async (doc) =>
      (await this.symbolsOf(doc, signal)).map((s) => ({
        name: s.name,
        path: s.path,
        kind: SYMBOL_KINDS[s.kind] ?? 'symbol',
        file: doc.relative,
        ...toHuman(doc.lines, s.position, this.client.positionEncoding),
      })),
    );
  }

  /** The workspace's files (read through the gate, cached), or null without a workspace. */
  get workspaceFiles(): WorkspaceFiles | null {
    return this.store.files;
  }

  /** Re-send open files that changed on disk (once, before a batch of fileDiagnostics). */
  refreshOpen(): Promise<void> {
    return this.store.refreshOpen();
  }

  /**
   * Diagnostics for a workspace file already read through the gate, for the project check: the
   * file is opened (and stays open; the least recently used close past a cap), other open files
   * are not refreshed. `reopen` first closes it, for a retry after the server failed on it.
   */
  async fileDiagnostics(
    read: FileText,
    options: { waitMs: number; signal?: AbortSignal | undefined; reopen?: boolean },
  ): Promise<{ known: boolean; items: DiagnosticItem[] }> {
    if (options.reopen === true) await this.store.closeFile(read.file.relative);
    const [doc] = await this.store.openAll([read]);
    if (doc === undefined) return { known: false, items: [] };
    const result = await this.store.diagnostics(doc, options);
    return {
      known: result.known,
      items: result.diagnostics.map((d) => diagnosticItem(doc, d, this.client.positionEncoding)),
    };
  }

  /**
   * Declarations in every Python file of the workspace whose name matches `query` (as the
   * server matches it), from each file's document symbols; files whose symbols the server did
   * not give are listed in `unknown`.
   */
  async workspaceSymbols(query: string, signal?: AbortSignal): Promise<SymbolSearch> {
    await this.require('workspaceSymbolProvider', 'workspace symbols');
    if (this.store.files === null) {
      throw new PymcpError(
        'path_denied',
        'the server has no workspace to search; start it with --workspace DIR',
      );
    }
    await this.store.refreshOpen();
    return workspaceSymbols({ client: this.client, whole: this.whole }, query, signal);
  }

  /**
   * The edit a rename would make in every workspace file that uses the symbol, per file, with
   * each file's current text, and what was searched.
   */
  async rename(
    target: Target,
    newName: string,
    signal?: AbortSignal,
  ): Promise<{ changes: FileChange[]; coverage: Coverage | null }> {
    await this.require('renameProvider', 'rename');
    if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(newName)) {
      throw new PymcpError(
        'input_invalid',
        `"${newName.slice(0, 100)}" is not a valid Python identifier`,
      );
    }
    if (target.file === undefined)
      throw new PymcpError('input_invalid', 'rename needs a file (not a code snippet)');
    const doc = await this.store.sync(target.file);
    const position = await this.position(doc, target, signal);
    return renameChanges(
      { client: this.client, store: this.store, whole: this.whole },
      doc,
      position,
      newName,
      signal,
    );
  }

  private async locations(
    method: string,
    target: Target,
    extra: object,
    signal?: AbortSignal,
  ): Promise<SourceLocation[]> {
    return this.withDocument(target, async (doc) => {
      const position = await this.position(doc, target, signal);
      const result = await this.client.request<Location | Location[] | LocationLink[] | null>(
        method,
        { textDocument: { uri: doc.uri }, position, ...extra },
        { signal },
      );
      return this.locator.all(asLocations(result));
    });
  }

  private async withDocument<R>(
    target: Target,
    work: (doc: SyncedDocument) => Promise<R>,
  ): Promise<R> {
    if ((target.file === undefined) === (target.code === undefined)) {
      throw new PymcpError(
        'input_invalid',
        'pass exactly one of file (a workspace path) or code (a Python snippet)',
      );
    }
    if (target.file !== undefined) return work(await this.store.sync(target.file));
    await this.store.refreshOpen();
    const snippet = await this.store.openSnippet(target.code ?? '');
    try {
      return await work(snippet);
    } finally {
      await snippet.close();
    }
  }

  private position(doc: SyncedDocument, address: Address, signal?: AbortSignal) {
    return resolveAddress(
      doc.lines,
      address,
      () => this.symbolsOf(doc, signal),
      this.client.positionEncoding,
    );
  }

  private async symbolsOf(doc: SyncedDocument, signal?: AbortSignal): Promise<NamedSymbol[]> {
    if (!this.client.supports('documentSymbolProvider')) {
      throw new PymcpError(
        'lsp_unsupported',
        `${this.client.kind} does not offer document symbols, so symbol names cannot be resolved; use line and column`,
      );
    }
    const symbols = await this.client.request<Array<DocumentSymbol | SymbolInformation> | null>(
      'textDocument/documentSymbol',
      { textDocument: { uri: doc.uri } },
      { signal },
    );
    return flattenSymbols(symbols ?? [], doc.lines, this.client.positionEncoding);
  }

  /** Waits for the server (capabilities are known only after initialize), then checks. */
  private async require(capability: keyof ServerCapabilities, feature: string): Promise<void> {
    if (!this.client.isReady) await this.client.whenReady();
    if (!this.client.supports(capability)) {
      throw new PymcpError('lsp_unsupported', `${this.client.kind} does not support ${feature}`);
    }
  }
}

function diagnosticItem(
  doc: SyncedDocument,
  d: Diagnostic,
  serverEncoding: PositionEncoding,
): DiagnosticItem {
  const line = doc.lines[d.range.start.line] ?? '';
  const endLine = doc.lines[d.range.end.line] ?? '';
  // pylsp passes pyflakes' columns through unchanged, and pyflakes counts UTF-8 bytes.
  const encoding: PositionEncoding = d.source === 'pyflakes' ? 'utf-8' : serverEncoding;
  return {
    file: doc.relative,
    line: d.range.start.line + 1,
    column: offsetToColumn(line, d.range.start.character, encoding),
    end_line: d.range.end.line + 1,
    end_column: offsetToColumn(endLine, d.range.end.character, encoding),
    severity: SEVERITIES[d.severity ?? 1],
    message: (typeof d.message === 'string' ? d.message : d.message.value).slice(0, 2000),
    code: d.code === undefined ? null : String(d.code),
    source: d.source ?? null,
  };
}
