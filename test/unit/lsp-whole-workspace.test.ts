/**
 * The pure parts of whole-workspace answers: which files a search finds (whole identifiers, the
 * server's workspace-symbol matching), where the name occurs in the server's units, and a stable
 * order without duplicates.
 */
import { describe, expect, test } from 'vitest';
import { isFunctionLocal } from '../../src/lsp/local-scope.js';
import { occurrences, sortLocations } from '../../src/lsp/whole-workspace.js';
import { matchesQuery, namesMatching } from '../../src/lsp/workspace-symbols.js';

const at = (uri: string, line: number, character: number) => ({
  uri,
  range: { start: { line, character }, end: { line, character: character + 1 } },
});

describe('occurrences of a name', () => {
  test('whole identifiers only, in each encoding the servers use', () => {
    const text = 'add(1)\naddress = add\n# é😀 add\nmy_add()\n';
    const starts = (encoding: 'utf-16' | 'utf-32') =>
      occurrences('file:///w/a.py', text, 'add', encoding).map(
        (o) => `${o.range.start.line}:${o.range.start.character}-${o.range.end.character}`,
      );
    // `address` and `my_add` are other names; the comment's "add" is text a server may ignore.
    expect(starts('utf-16')).toEqual(['0:0-3', '1:10-13', '2:6-9']);
    expect(starts('utf-32')).toEqual(['0:0-3', '1:10-13', '2:5-8']);
  });
});

describe('sortLocations', () => {
  test('orders by file, line and column and drops repeats', () => {
    const sorted = sortLocations([
      at('file:///b.py', 1, 0),
      at('file:///a.py', 2, 4),
      at('file:///a.py', 2, 1),
      at('file:///b.py', 1, 0),
    ]);
    expect(sorted.map((l) => `${l.uri}:${l.range.start.line}:${l.range.start.character}`)).toEqual([
      'file:///a.py:2:1',
      'file:///a.py:2:4',
      'file:///b.py:1:0',
    ]);
  });
});

describe('workspace-symbol matching (as pyright matches)', () => {
  test.each<[string, string, boolean]>([
    ['HTTPAdapter', 'HTTPAdapter', true],
    ['adapter', 'HTTPAdapter', true],
    ['hta', 'HTTPAdapter', true], // letters in order, any case
    ['ath', 'HTTPAdapter', false],
    ['make_resp', 'make_response', true],
    ['responses', 'make_response', false],
  ])('%s in %s: %s', (query, name, expected) => {
    expect(matchesQuery(query, name)).toBe(expected);
  });

  test('a file is searched when any identifier in it matches', () => {
    expect(namesMatching('from x import HTTPAdapter\n', 'adapter')).toBe(true);
    expect(namesMatching('x = 1  # nothing here\n', 'adapter')).toBe(false);
  });
});

describe('isFunctionLocal (a name no other file can use needs no workspace search)', () => {
  const SOURCE = `import os

LIMIT = 3


def send(url: str,
         retries: int = LIMIT) -> str:
    result = url
    for attempt in range(retries):
        if attempt:
            result += "!"
    return result


class Adapter:
    size = 1

    def close(self) -> None:
        self.closed = True
        count = 0

        def helper() -> None:
            pass


def counter() -> None:
    global LIMIT
    LIMIT = 4
`;
  const lines = SOURCE.split('\n');
  const where = (line: number, name: string, nth = 0): { line: number; character: number } => {
    let from = -1;
    for (let i = 0; i <= nth; i += 1) from = (lines[line - 1] ?? '').indexOf(name, from + 1);
    return { line: line - 1, character: from };
  };
  test.each<[string, number, string, number, boolean]>([
    ['a module constant', 3, 'LIMIT', 0, false],
    ['a module function', 6, 'send', 0, false],
    ['a parameter', 6, 'url', 0, true],
    ['a parameter on a continuation line', 7, 'retries', 0, true],
    ['a local variable', 8, 'result', 0, true],
    ['a loop variable inside an if-less for', 9, 'attempt', 0, true],
    ['a class', 15, 'Adapter', 0, false],
    ['a class attribute', 16, 'size', 0, false],
    ['a method', 18, 'close', 0, false],
    ['an attribute set through self', 19, 'closed', 0, false],
    ["a method's local", 20, 'count', 0, true],
    ['a nested function', 22, 'helper', 0, true],
    ['a name declared global in a function', 28, 'LIMIT', 0, false],
  ])('%s (line %i, %s)', (_name, line, name, nth, expected) => {
    expect(isFunctionLocal(SOURCE, where(line, name, nth), name, 'utf-16')).toBe(expected);
  });
});
