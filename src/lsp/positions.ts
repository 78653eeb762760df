/**
 * Positions the way models count (1-based lines, 1-based columns in characters) to and from the
 * LSP's (0-based, UTF-16 code units). Getting this wrong is how other bridges drop or misplace
 * results on non-ASCII text.
 */
import type { Position } from 'vscode-languageserver-protocol';

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** 1-based column in code points -> UTF-16 offset within the line. */
export function columnToUtf16(line: string, column: number): number {
  let offset = 0;
  let seen = 1;
  for (const char of line) {
    if (seen === column) return offset;
    offset += char.length;
    seen += 1;
  }
  return offset; // column just past the end
}

/** UTF-16 offset within the line -> 1-based column in code points. */
export function utf16ToColumn(line: string, offset: number): number {
  let units = 0;
  let column = 1;
  for (const char of line) {
    if (units >= offset) break;
    units += char.length;
    column += 1;
  }
  return column;
}

/** Number of code points in a line. */
export function lineLength(line: string): number {
  return Array.from(line).length;
}

export interface HumanPosition {
  line: number;
  column: number;
}

export function toHuman(lines: readonly string[], position: Position): HumanPosition {
  const text = lines[position.line] ?? '';
  return { line: position.line + 1, column: utf16ToColumn(text, position.character) };
}

export function toLsp(lines: readonly string[], human: HumanPosition): Position {
  const text = lines[human.line - 1] ?? '';
  return { line: human.line - 1, character: columnToUtf16(text, human.column) };
}
