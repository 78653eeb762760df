/**
 * Positions the way models count (1-based lines, 1-based columns in characters) to and from a
 * language server's (0-based lines; columns in the server's encoding: UTF-16 code units per the
 * LSP default and pyright, code points for pylsp's jedi results, UTF-8 bytes for pyflakes).
 * Getting this wrong is how other bridges drop or misplace results on non-ASCII text.
 */
import type { Position } from 'vscode-languageserver-protocol';

export type PositionEncoding = 'utf-16' | 'utf-32' | 'utf-8';

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function unitsOf(char: string, encoding: PositionEncoding): number {
  if (encoding === 'utf-16') return char.length;
  if (encoding === 'utf-32') return 1;
  return Buffer.byteLength(char, 'utf8');
}

/** 1-based column in characters -> offset within the line in the server's units. */
export function columnToOffset(
  line: string,
  column: number,
  encoding: PositionEncoding = 'utf-16',
): number {
  let offset = 0;
  let seen = 1;
  for (const char of line) {
    if (seen === column) return offset;
    offset += unitsOf(char, encoding);
    seen += 1;
  }
  return offset; // column just past the end
}

/** Offset within the line in the server's units -> 1-based column in characters. */
export function offsetToColumn(
  line: string,
  offset: number,
  encoding: PositionEncoding = 'utf-16',
): number {
  let units = 0;
  let column = 1;
  for (const char of line) {
    if (units >= offset) break;
    units += unitsOf(char, encoding);
    column += 1;
  }
  return column;
}

/** Number of characters (code points) in a line. */
export function lineLength(line: string): number {
  return Array.from(line).length;
}

export interface HumanPosition {
  line: number;
  column: number;
}

export function toHuman(
  lines: readonly string[],
  position: Position,
  encoding: PositionEncoding = 'utf-16',
): HumanPosition {
  const text = lines[position.line] ?? '';
  return { line: position.line + 1, column: offsetToColumn(text, position.character, encoding) };
}

export function toLsp(
  lines: readonly string[],
  human: HumanPosition,
  encoding: PositionEncoding = 'utf-16',
): Position {
  const text = lines[human.line - 1] ?? '';
  return { line: human.line - 1, character: columnToOffset(text, human.column, encoding) };
}
