/**
 * Turns how a model points at code (a line and column, a symbol name path such as `Cart.add`,
 * or a symbol's text on a line) into an LSP position. Ambiguity returns the candidates; a miss
 * says what was searched.
 */
import type { DocumentSymbol, Position, SymbolInformation } from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import { columnToOffset, lineLength, toHuman, toLsp, type PositionEncoding } from './positions.js';

export interface Address {
  line?: number | undefined;
  column?: number | undefined;
  symbol?: string | undefined;
}

/** A declaration found in a file's symbols, with its dotted path. */
export interface NamedSymbol {
  path: string;
  name: string;
  kind: number;
  /** Where its name is declared. */
  position: Position;
  /** The whole declaration. */
  range: { start: Position; end: Position };
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** Whole-identifier occurrences of `name` (an identifier): `add` does not match in `address`. */
export function namePattern(name: string, flags = 'u'): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])${name}(?![\\p{L}\\p{N}_])`, flags);
}

/** The identifier at or just before `position`, or null when there is none there. */
export function identifierAt(
  lines: readonly string[],
  position: Position,
  encoding: PositionEncoding = 'utf-16',
): string | null {
  const text = lines[position.line] ?? '';
  const index = columnToOffset(text, toHuman(lines, position, encoding).column);
  for (const match of text.matchAll(/[\p{L}_][\p{L}\p{N}_]*/gu)) {
    if (match.index <= index && index <= match.index + match[0].length) return match[0];
  }
  return null;
}

/**
 * Just inside the parentheses of the call whose callee name starts at `position`, or null when
 * no "(" follows the name on its line: signature help answers for the call around the cursor,
 * and the start of a name inside another call's arguments is inside that other call.
 */
export function callOpening(
  lines: readonly string[],
  position: Position,
  encoding: PositionEncoding = 'utf-16',
): Position | null {
  const text = lines[position.line] ?? '';
  const start = columnToOffset(text, toHuman(lines, position, encoding).column);
  const match = /^[\p{L}\p{N}_]*\s*\(/u.exec(text.slice(start));
  if (match === null) return null;
  const column = lineLength(text.slice(0, start + match[0].length)) + 1;
  return toLsp(lines, { line: position.line + 1, column }, encoding);
}

/** Flatten hierarchical or flat document symbols into dotted name paths. */
export function flattenSymbols(
  symbols: ReadonlyArray<DocumentSymbol | SymbolInformation>,
  lines: readonly string[] = [],
  encoding: PositionEncoding = 'utf-16',
): NamedSymbol[] {
  const out: NamedSymbol[] = [];
  const walk = (items: readonly DocumentSymbol[], prefix: string): void => {
    for (const item of items) {
      const path = prefix === '' ? item.name : `${prefix}.${item.name}`;
      out.push({
        path,
        name: item.name,
        kind: item.kind,
        position: item.selectionRange.start,
        range: item.range,
      });
      walk(item.children ?? [], path);
    }
  };
  const hierarchical = symbols.filter((s): s is DocumentSymbol => 'selectionRange' in s);
  walk(hierarchical, '');
  for (const item of symbols) {
    if ('location' in item) {
      const container = item.containerName ? `${item.containerName}.` : '';
      out.push({
        path: `${container}${item.name}`,
        name: item.name,
        kind: item.kind,
        position: nameStart(lines, item.location.range.start, item.name, encoding),
        range: item.location.range,
      });
    }
  }
  return out;
}

/** Where `name` first occurs as a whole identifier at or after `from` (within three lines). */
function nameStart(
  lines: readonly string[],
  from: Position,
  name: string,
  encoding: PositionEncoding,
): Position {
  if (!IDENTIFIER.test(name)) return from;
  const pattern = namePattern(name);
  for (let line = from.line; line < Math.min(lines.length, from.line + 3); line += 1) {
    const text = lines[line] ?? '';
    // Search in JavaScript string indices, then convert back to the server's units.
    const startColumn = line === from.line ? toHuman(lines, from, encoding).column : 1;
    const startIndex = columnToOffset(text, startColumn);
    const match = pattern.exec(text.slice(startIndex));
    if (match) {
      const column = lineLength(text.slice(0, startIndex + match.index)) + 1;
      return toLsp(lines, { line: line + 1, column }, encoding);
    }
  }
  return from;
}

/** Name path as a model writes it: `Cart.add`, `Cart/add`, `Cart::add` all mean the same. */
export function normaliseSymbolPath(symbol: string): string[] {
  return symbol
    .trim()
    .split(/\.|\/|::/)
    .filter((part) => part !== '');
}

export function resolveAddress(
  lines: readonly string[],
  address: Address,
  symbols: () => Promise<NamedSymbol[]>,
  encoding: PositionEncoding = 'utf-16',
): Promise<Position> {
  const { line, column, symbol } = address;
  if (line !== undefined) checkLine(lines, line);
  if (line !== undefined && column !== undefined) {
    if (symbol !== undefined) throw invalid('give either column or symbol with line, not both');
    const length = lineLength(lines[line - 1] ?? '');
    if (column < 1 || column > length + 1) {
      throw invalid(`column ${column} is outside line ${line}, which has ${length} characters`);
    }
    return Promise.resolve(toLsp(lines, { line, column }, encoding));
  }
  if (symbol === undefined) {
    throw invalid(
      'say where: line and column (1-based), a symbol name path like "Cart.add", or a line and a symbol on it',
    );
  }
  if (line !== undefined) return Promise.resolve(symbolOnLine(lines, line, symbol, encoding));
  return symbolDeclaration(symbol, symbols);
}

function symbolOnLine(
  lines: readonly string[],
  line: number,
  symbol: string,
  encoding: PositionEncoding,
): Position {
  const parts = normaliseSymbolPath(symbol);
  const name = parts[parts.length - 1] ?? '';
  if (!IDENTIFIER.test(name))
    throw invalid(`"${symbol.slice(0, 100)}" is not a Python identifier or name path`);
  const text = lines[line - 1] ?? '';
  const columns: number[] = [];
  for (const match of text.matchAll(namePattern(name, 'gu'))) {
    columns.push(lineLength(text.slice(0, match.index)) + 1);
  }
  if (columns.length === 0) {
    throw new PymcpError(
      'symbol_not_found',
      `"${name}" does not occur on line ${line}: ${text.trim().slice(0, 200)}`,
    );
  }
  if (columns.length > 1) {
    throw new PymcpError(
      'symbol_ambiguous',
      `"${name}" occurs ${columns.length} times on line ${line} (columns ${columns.join(', ')}); pass column instead`,
    );
  }
  return toLsp(lines, { line, column: columns[0] ?? 1 }, encoding);
}

async function symbolDeclaration(
  symbol: string,
  load: () => Promise<NamedSymbol[]>,
): Promise<Position> {
  const parts = normaliseSymbolPath(symbol);
  if (parts.length === 0 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw invalid(`"${symbol.slice(0, 100)}" is not a Python name path (like "Cart.add")`);
  }
  const wanted = parts.join('.');
  const all = await load();
  const exact = all.filter((s) => s.path === wanted);
  const suffix = all.filter((s) => s.path.endsWith(`.${wanted}`));
  const matches = exact.length > 0 ? exact : suffix;
  const [only] = matches;
  if (matches.length === 1 && only) return only.position;
  // One name declared again in one scope (overloads then their implementation, a property's
  // getter then setter, a redefinition): Python binds the last, and pyright reports only that
  // one; pylsp lists each. The last it is, whichever server answers.
  if (only && matches.every((s) => s.path === only.path)) {
    return matches.reduce((last, s) => (comparePositions(s.position, last.position) > 0 ? s : last))
      .position;
  }
  if (matches.length === 0) {
    const known = all
      .filter((s) => !s.path.includes('.'))
      .map((s) => s.path)
      .slice(0, 30);
    throw new PymcpError(
      'symbol_not_found',
      `no declaration named "${wanted}" in this file (searched ${all.length} symbols); top-level names: ${known.join(', ') || 'none'}`,
    );
  }
  const candidates = matches.slice(0, 20).map((s) => `${s.path} (line ${s.position.line + 1})`);
  throw new PymcpError(
    'symbol_ambiguous',
    `"${wanted}" matches ${matches.length} declarations: ${candidates.join(', ')}; use a longer name path or a line`,
  );
}

function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

function checkLine(lines: readonly string[], line: number): void {
  if (!Number.isInteger(line) || line < 1 || line > lines.length) {
    throw invalid(`line ${line} is outside the file, which has ${lines.length} lines`);
  }
}

function invalid(message: string): PymcpError {
  return new PymcpError('input_invalid', message);
}
