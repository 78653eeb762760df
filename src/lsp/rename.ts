/**
 * A rename as the edits it makes to every workspace file that uses the symbol. The server's own
 * rename is the base; it misses files: pyright renames only inside its `include` (and a symbol
 * declared outside it only in its own file), pylsp stops after 30 files. The uses in the files it
 * left out come from the whole-workspace search (pyright's references over the opened files,
 * pylsp's files checked name by name), and each must be the old name, in a workspace file.
 */
import type { Location, Position, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import { uriOf, type DocumentStore, type SyncedDocument } from './documents.js';
import { applyEdits, editsByUri, type TextEdit } from './edits.js';
import type { LspClient } from './lsp-client.js';
import { columnToOffset, offsetToColumn, splitLines, type PositionEncoding } from './positions.js';
import type { Coverage, NameSearch, WholeWorkspace } from './whole-workspace.js';

export interface FileChange {
  file: string;
  relative: string | null;
  before: string;
  after: string;
}

export async function renameChanges(
  deps: { client: LspClient; store: DocumentStore; whole: WholeWorkspace },
  doc: SyncedDocument,
  position: Position,
  newName: string,
  signal?: AbortSignal,
): Promise<{ changes: FileChange[]; coverage: Coverage | null }> {
  const { client, store, whole } = deps;
  const declarations = await whole.declarations(doc, position, signal);
  const search = await whole.prepareName(doc, position, declarations, signal);
  const edit = await client.request<WorkspaceEdit | null>(
    'textDocument/rename',
    { textDocument: { uri: doc.uri }, position, newName },
    { signal },
  );
  const byUri = edit === null ? new Map<string, TextEdit[]>() : editsByUri(edit);
  if (search !== null) {
    const left = { declarations, refused: edit === null };
    const uses = await usesLeftOut(deps, doc, position, search, byUri, left, signal);
    for (const use of uses) {
      byUri.set(use.uri, [...(byUri.get(use.uri) ?? []), { range: use.range, newText: newName }]);
    }
  }
  if (byUri.size === 0)
    throw new PymcpError('symbol_not_found', 'the language server found nothing to rename there');
  const changes: FileChange[] = [];
  for (const [uri, edits] of byUri) {
    const { relative, display } = store.describeUri(uri);
    const text = await store.textOf(uri);
    if (text === null) throw outside(display);
    changes.push({
      file: display,
      relative,
      before: text,
      after: applyEdits(text, edits, client.positionEncoding),
    });
  }
  changes.sort((a, b) => a.file.localeCompare(b.file));
  return { changes, coverage: search?.coverage ?? null };
}

/** Uses of the name in files the server's rename (`byUri`) left out. */
async function usesLeftOut(
  deps: { client: LspClient; store: DocumentStore; whole: WholeWorkspace },
  doc: SyncedDocument,
  position: Position,
  search: NameSearch,
  byUri: ReadonlyMap<string, TextEdit[]>,
  left: { declarations: Location[]; refused: boolean },
  signal?: AbortSignal,
): Promise<Location[]> {
  const { client, store, whole } = deps;
  const { declarations, refused } = left;
  // A name local to a function is used only in its file, which the server renamed in full.
  if (search.coverage.local !== null && !refused) return [];
  const texts = new Map(search.files.map((f) => [uriOf(f.file.relative), f.text]));
  texts.set(doc.uri, doc.text);
  // A symbol the server would not rename is renamed through its uses only when it is declared
  // in the workspace: never a builtin or a library name, whose declaration would stay.
  if (refused && (declarations.length === 0 || !declarations.every((d) => texts.has(d.uri))))
    return [];
  const renamed = new Set(byUri.keys());
  const uses =
    whole.strategy === 'check'
      ? await whole.checkedUses(search, renamed, declarations, signal)
      : (await whole.serverReferences(doc, position, signal)).filter((u) => !renamed.has(u.uri));
  for (const use of uses) {
    const text = texts.get(use.uri);
    const { display } = store.describeUri(use.uri);
    if (text === undefined) throw outside(display);
    if (textAt(text, use.range, client.positionEncoding) !== search.name) {
      throw new PymcpError(
        'lsp_failed',
        `${client.kind} reported a use of "${search.name}" at ${display}:${use.range.start.line + 1} where the file says something else; not renaming`,
      );
    }
  }
  return uses;
}

function outside(display: string): PymcpError {
  return new PymcpError(
    'path_denied',
    `the rename would edit ${display}, which is outside the workspace; refusing`,
  );
}

/** The text a single-line range covers, for checking an edit replaces what it should. */
function textAt(
  text: string,
  range: { start: Position; end: Position },
  encoding: PositionEncoding,
): string | null {
  if (range.start.line !== range.end.line) return null;
  const line = splitLines(text)[range.start.line] ?? '';
  const from = columnToOffset(line, offsetToColumn(line, range.start.character, encoding));
  const to = columnToOffset(line, offsetToColumn(line, range.end.character, encoding));
  return line.slice(from, to);
}
