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
  WorkspaceEdit,
  WorkspaceSymbol,
} from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import { resolveAddress, flattenSymbols, type Address, type NamedSymbol } from './addressing.js';
import type { DocumentStore, SyncedDocument } from './documents.js';
import type { LspClient } from './lsp-client.js';
import { applyEdits, editsByUri } from './edits.js';
import { COMPLETION_KINDS, SYMBOL_KINDS } from './kinds.js';
import { toHuman, offsetToColumn, type PositionEncoding } from './positions.js';

export interface Target extends Address {
  file?: string | undefined;
  code?: string | undefined;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  /** The source line, trimmed and capped; null when the file is outside the workspace. */
  text: string | null;
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

export interface SymbolItem {
  name: string;
  path: string;
  kind: string;
  file: string;
  line: number;
  column: number;
}

const SOURCE_LINE_CHARS = 200;
const SEVERITIES = ['error', 'error', 'warning', 'information', 'hint'] as const;

export class CodeIntel {
  constructor(
    private readonly client: LspClient,
    private readonly store: DocumentStore,
  ) {}

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
        location: await this.location({ uri: doc.uri, range }),
        contents: hoverText(hover.contents),
      };
    });
  }

  async definition(target: Target, signal?: AbortSignal): Promise<SourceLocation[]> {
    await this.require('definitionProvider', 'go to definition');
    return this.locations('textDocument/definition', target, {}, signal);
  }

  async references(
    target: Target,
    includeDeclaration: boolean,
    signal?: AbortSignal,
  ): Promise<SourceLocation[]> {
    await this.require('referencesProvider', 'find references');
    return this.locations(
      'textDocument/references',
      target,
      { context: { includeDeclaration } },
      signal,
    );
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

  async signatureHelp(target: Target, signal?: AbortSignal): Promise<SignatureHelp | null> {
    await this.require('signatureHelpProvider', 'signature help');
    return this.withDocument(target, async (doc) => {
      const position = await this.position(doc, target, signal);
      return this.client.request<SignatureHelp | null>(
        'textDocument/signatureHelp',
        { textDocument: { uri: doc.uri }, position },
        { signal },
      );
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

  /** Whether a workspace file is open in the server (the project check closes what it opened). */
  isOpen(relative: string): boolean {
    return this.store.isOpen(relative);
  }

  closeFile(relative: string): Promise<void> {
    return this.store.closeFile(relative);
  }

  async workspaceSymbols(query: string, signal?: AbortSignal): Promise<SymbolItem[]> {
    await this.require('workspaceSymbolProvider', 'workspace symbols');
    await this.store.refreshOpen();
    const result = await this.client.request<Array<SymbolInformation | WorkspaceSymbol> | null>(
      'workspace/symbol',
      { query },
      { signal },
    );
    const items: SymbolItem[] = [];
    for (const symbol of result ?? []) {
      if (!('range' in symbol.location)) continue;
      const location = await this.location(symbol.location);
      items.push({
        name: symbol.name,
        path: symbol.containerName ? `${symbol.containerName}.${symbol.name}` : symbol.name,
        kind: SYMBOL_KINDS[symbol.kind] ?? 'symbol',
        file: location.file,
        line: location.line,
        column: location.column,
      });
    }
    return items;
  }

  /** The edit a rename would make, per file, with each file's current text. */
  async rename(
    target: Target,
    newName: string,
    signal?: AbortSignal,
  ): Promise<Array<{ file: string; relative: string | null; before: string; after: string }>> {
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
    const edit = await this.client.request<WorkspaceEdit | null>(
      'textDocument/rename',
      { textDocument: { uri: doc.uri }, position, newName },
      { signal },
    );
    if (edit === null)
      throw new PymcpError('symbol_not_found', 'the language server found nothing to rename there');
    const files: Array<{ file: string; relative: string | null; before: string; after: string }> =
      [];
    for (const [uri, edits] of editsByUri(edit)) {
      const { relative, display } = this.store.describeUri(uri);
      const text = await this.store.textOf(uri);
      if (text === null) {
        throw new PymcpError(
          'path_denied',
          `the rename would edit ${display}, which is outside the workspace; refusing`,
        );
      }
      files.push({
        file: display,
        relative,
        before: text,
        after: applyEdits(text, edits, this.client.positionEncoding),
      });
    }
    return files;
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
      const list = result === null ? [] : Array.isArray(result) ? result : [result];
      const out: SourceLocation[] = [];
      const cache = new Map<string, Promise<string[] | null>>();
      for (const item of list) {
        out.push(
          await this.location(
            'targetUri' in item ? { uri: item.targetUri, range: item.targetSelectionRange } : item,
            cache,
          ),
        );
      }
      return out;
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

  /** A result location with its source line; `cache` shares file reads within one answer. */
  private async location(
    location: Location,
    cache: Map<string, Promise<string[] | null>> = new Map(),
  ): Promise<SourceLocation> {
    const { display } = this.store.describeUri(location.uri);
    let lines = cache.get(location.uri);
    if (lines === undefined) {
      lines = this.store.linesOf(location.uri);
      cache.set(location.uri, lines);
    }
    return this.locate(display, location, await lines);
  }

  private locate(display: string, location: Location, lines: string[] | null): SourceLocation {
    const { start, end } = location.range;
    if (lines === null) {
      return {
        file: display,
        line: start.line + 1,
        column: start.character + 1,
        end_line: end.line + 1,
        end_column: end.character + 1,
        text: null,
      };
    }
    const source = lines[start.line] ?? '';
    const from = toHuman(lines, start, this.client.positionEncoding);
    const to = toHuman(lines, end, this.client.positionEncoding);
    return {
      file: display,
      line: from.line,
      column: from.column,
      end_line: to.line,
      end_column: to.column,
      text: source.trim().slice(0, SOURCE_LINE_CHARS),
    };
  }

  /** Waits for the server (capabilities are known only after initialize), then checks. */
  private async require(capability: keyof ServerCapabilities, feature: string): Promise<void> {
    await this.client.whenReady();
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

/** Hover contents: MarkupContent, or the deprecated MarkedString forms older servers send. */
type HoverContents = Hover['contents'];

function hoverText(contents: HoverContents): string {
  const parts = Array.isArray(contents) ? contents : [contents];
  return parts
    .map((part) => (typeof part === 'string' ? part : part.value))
    .join('\n\n')
    .trim();
}
