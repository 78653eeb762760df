/**
 * Workspace symbols over every Python file, not only those the server has indexed: pyright's own
 * `workspace/symbol` lists only files inside its `include` that it has already parsed, which
 * right after start-up is none ("no symbols" for a symbol it finds seconds later) and never the
 * tests outside `include`. So the answer is built from the files themselves: those whose text
 * holds a name matching the query are given to the server, asked for their document symbols
 * (the same declarations pyright's workspace symbols come from, parsed on demand), and filtered
 * with the server's matching rule. A file whose symbols the server did not give is reported as
 * not known yet, never left out silently.
 */
import type { DocumentSymbol, SymbolInformation } from 'vscode-languageserver-protocol';
import { errorMessage } from '../shared/errors.js';
import { flattenSymbols } from './addressing.js';
import { uriOf } from './documents.js';
import { SYMBOL_KINDS } from './kinds.js';
import type { LspClient } from './lsp-client.js';
import { splitLines, toHuman } from './positions.js';
import type { Coverage, WholeWorkspace } from './whole-workspace.js';
import type { Refusal } from './workspace-files.js';

export interface SymbolItem {
  name: string;
  path: string;
  kind: string;
  file: string;
  line: number;
  column: number;
}

export interface SymbolSearch {
  items: SymbolItem[];
  /** Files whose symbols the server did not give (not known yet), with why. */
  unknown: Refusal[];
  coverage: Coverage;
}

/** Files asked for their symbols at once. */
const PARALLEL = 8;

const IDENTIFIERS = /[\p{L}_][\p{L}\p{N}_]*/gu;

/**
 * Whether `name` matches a workspace-symbol query the way pyright matches it: the query's
 * characters appear in the name in order, ignoring case ("hta" matches "HTTPAdapter").
 */
export function matchesQuery(query: string, name: string): boolean {
  const wanted = query.toLowerCase();
  let found = 0;
  for (const char of name.toLowerCase()) {
    if (found < wanted.length && char === wanted[found]) found += 1;
  }
  return found === wanted.length;
}

/** Whether any identifier in the text matches the query. */
export function namesMatching(text: string, query: string): boolean {
  for (const [name] of text.matchAll(IDENTIFIERS)) if (matchesQuery(query, name)) return true;
  return false;
}

export async function workspaceSymbols(
  deps: { client: LspClient; whole: WholeWorkspace },
  query: string,
  signal?: AbortSignal,
): Promise<SymbolSearch> {
  const { client, whole } = deps;
  const { files, coverage } = await whole.prepare(
    query,
    (text) => namesMatching(text, query),
    signal,
  );
  const items: SymbolItem[] = [];
  const unknown: Refusal[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const read = files[next++];
      if (read === undefined) continue;
      let symbols: Array<DocumentSymbol | SymbolInformation> | null;
      try {
        symbols = await client.request<Array<DocumentSymbol | SymbolInformation> | null>(
          'textDocument/documentSymbol',
          { textDocument: { uri: uriOf(read.file.relative) } },
          { signal },
        );
      } catch (error) {
        if (signal?.aborted) throw error;
        unknown.push({ file: read.file.relative, reason: errorMessage(error) });
        continue;
      }
      const lines = splitLines(read.text);
      for (const symbol of flattenSymbols(symbols ?? [], lines, client.positionEncoding)) {
        if (!matchesQuery(query, symbol.name)) continue;
        items.push({
          name: symbol.name,
          path: symbol.path,
          kind: SYMBOL_KINDS[symbol.kind] ?? 'symbol',
          file: read.file.relative,
          ...toHuman(lines, symbol.position, client.positionEncoding),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  items.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  unknown.sort((a, b) => a.file.localeCompare(b.file));
  return { items, unknown, coverage };
}
