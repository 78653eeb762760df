/**
 * Whether a declaration is local to a function (a parameter, or a name bound in a function body),
 * so no other file can use it and a whole-workspace search would only cost time: a common local
 * name (`i`, `result`) is named in most files. Read from the text by indentation, and
 * conservative: anything it cannot tell (an attribute, `global`, a class body, a line inside a
 * multi-line string or bracket) counts as not local, which only costs a search.
 */
import type { Position } from 'vscode-languageserver-protocol';
import { columnToOffset, splitLines, toHuman, type PositionEncoding } from './positions.js';

const DEF = /^\s*(?:async\s+)?def\s+([\p{L}_][\p{L}\p{N}_]*)/u;
const LAMBDA = /^\s*lambda\b/;

export function isFunctionLocal(
  text: string,
  declaration: Position,
  name: string,
  encoding: PositionEncoding,
): boolean {
  const lines = splitLines(text);
  const line = lines[declaration.line];
  if (line === undefined) return false;
  const index = columnToOffset(line, toHuman(lines, declaration, encoding).column);
  if (line.slice(index, index + name.length) !== name) return false;
  // `self.name = ...` declares an attribute, which other files reach through objects.
  if (/\.\s*$/.test(line.slice(0, index))) return false;
  // `global name` / `nonlocal name` anywhere makes the binding outlive the function.
  const escaped = name.replace(/[^\p{L}\p{N}_]/gu, '');
  if (new RegExp(`^\\s*(?:global|nonlocal)\\s[^#\\n]*\\b${escaped}\\b`, 'mu').test(text))
    return false;
  const own = DEF.exec(line);
  if (own !== null) {
    // The def's own name lives in the enclosing scope; any other name on its line is a parameter.
    const nameIndex = line.indexOf(own[1] ?? '', line.indexOf('def') + 3);
    if (nameIndex !== index) return true;
    return enclosingIsFunction(lines, declaration.line);
  }
  return enclosingIsFunction(lines, declaration.line);
}

/** Whether the innermost scope around `lineIndex` (by indentation) is a function. */
function enclosingIsFunction(lines: readonly string[], lineIndex: number): boolean {
  let bound = indentOf(lines[lineIndex] ?? '');
  for (let index = lineIndex - 1; index >= 0 && bound > 0; index -= 1) {
    const line = lines[index] ?? '';
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const indent = indentOf(line);
    if (indent >= bound) continue;
    if (DEF.test(line) || LAMBDA.test(line)) return true;
    if (/^\s*class\b/.test(line)) return false;
    // A compound statement (if, for, with, try...) is no scope: keep looking outward.
    bound = indent;
  }
  return false;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}
