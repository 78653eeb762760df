/** Workspace edits from a language server, applied to file text (for rename). */
import type { WorkspaceEdit } from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import { columnToOffset, offsetToColumn, type PositionEncoding } from './positions.js';

export type TextEdit = {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  newText: string;
};

export function editsByUri(edit: WorkspaceEdit): Map<string, TextEdit[]> {
  const out = new Map<string, TextEdit[]>();
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) out.set(uri, [...edits]);
  for (const change of edit.documentChanges ?? []) {
    if ('textDocument' in change) {
      const edits = change.edits.filter((e): e is TextEdit => 'newText' in e && 'range' in e);
      out.set(change.textDocument.uri, [...(out.get(change.textDocument.uri) ?? []), ...edits]);
    } else {
      throw new PymcpError(
        'lsp_unsupported',
        `the rename would ${change.kind} a file; only text edits are supported`,
      );
    }
  }
  return out;
}

/**
 * Apply LSP text edits to a file's text, keeping its line endings. Positions are in the
 * server's units; a character past the end of a line means the end of that line.
 */
export function applyEdits(
  source: string | readonly string[],
  edits: readonly TextEdit[],
  encoding: PositionEncoding = 'utf-16',
): string {
  const text = typeof source === 'string' ? source : source.join('\n');
  const starts: number[] = [0];
  const contents: string[] = [];
  const breaks = /\r\n|\r|\n/g;
  let last = 0;
  for (let match = breaks.exec(text); match !== null; match = breaks.exec(text)) {
    contents.push(text.slice(last, match.index));
    last = match.index + match[0].length;
    starts.push(last);
  }
  contents.push(text.slice(last));
  const at = (p: { line: number; character: number }): number => {
    const start = starts[p.line];
    const line = contents[p.line];
    if (start === undefined || line === undefined) return text.length;
    const column = offsetToColumn(line, p.character, encoding);
    return start + Math.min(line.length, columnToOffset(line, column));
  };
  const sorted = [...edits].sort((a, b) => at(b.range.start) - at(a.range.start));
  let result = text;
  for (const edit of sorted) {
    result =
      result.slice(0, at(edit.range.start)) + edit.newText + result.slice(at(edit.range.end));
  }
  return result;
}
