/**
 * The pure parts of whole-workspace answers: which files a search finds (whole identifiers, the
 * server's workspace-symbol matching), where the name occurs in the server's units, and a stable
 * order without duplicates.
 */
import { describe, expect, test } from 'vitest';
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
