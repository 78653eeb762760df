/**
 * The pure parts of the language-server bridge: character columns <-> UTF-16 offsets, turning
 * how a model points at code into a position, the frame-size guard on the server's output, and
 * applying text edits.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import type { DocumentSymbol, SymbolInformation } from 'vscode-languageserver-protocol';
import {
  callOpening,
  flattenSymbols,
  identifierAt,
  normaliseSymbolPath,
  resolveAddress,
  type Address,
  type NamedSymbol,
} from '../../src/lsp/addressing.js';
import { applyEdits } from '../../src/lsp/edits.js';
import { FrameGuard, FrameSizeError } from '../../src/lsp/frame-guard.js';
import {
  columnToOffset,
  lineLength,
  splitLines,
  toHuman,
  toLsp,
  offsetToColumn,
} from '../../src/lsp/positions.js';

const range = (line: number, from: number, to: number) => ({
  start: { line, character: from },
  end: { line, character: to },
});

describe('positions', () => {
  // [line, 1-based column in characters, UTF-16 offset]
  test.each<[string, number, number]>([
    ['abc', 1, 0],
    ['abc', 3, 2],
    ['abc', 4, 3], // just past the end
    ['éx', 2, 1], // é is one UTF-16 unit
    ['😀x', 2, 2], // 😀 is a surrogate pair: two units, one character
    ['a😀😀b', 4, 5],
    ['a😀😀b', 5, 6],
    ['\tx', 2, 1], // a tab is one character, whatever its width on screen
    ['x = "é😀"; f(x)', 13, 13], // `x`: character index 12, UTF-16 offset 13
    ['', 1, 0],
  ])('%j: column %i <-> UTF-16 offset %i', (line, column, offset) => {
    expect(columnToOffset(line, column)).toBe(offset);
    expect(offsetToColumn(line, offset)).toBe(column);
  });

  test('every character of a mixed line round-trips', () => {
    const line = '\tlabel = "é😀"; cart.add(label)  # 日本😀';
    const length = lineLength(line);
    expect(length).toBe(Array.from(line).length);
    for (let column = 1; column <= length + 1; column += 1) {
      expect(offsetToColumn(line, columnToOffset(line, column))).toBe(column);
    }
  });

  test('a column past the end of the line stays at the end', () => {
    expect(columnToOffset('ab😀', 99)).toBe(4);
  });

  test('toHuman and toLsp convert lines (1-based <-> 0-based) and columns', () => {
    const lines = splitLines('first\r\nlabel = "😀"; go()\nlast');
    expect(lines).toEqual(['first', 'label = "😀"; go()', 'last']);
    expect(toLsp(lines, { line: 2, column: 14 })).toEqual({ line: 1, character: 14 });
    expect(toHuman(lines, { line: 1, character: 14 })).toEqual({ line: 2, column: 14 });
    expect(toHuman(lines, { line: 0, character: 0 })).toEqual({ line: 1, column: 1 });
  });
});

/** `cart.py` of the integration fixture, with a usage line holding "é😀" before the call. */
const SOURCE = [
  'class Cart:', //                                        1
  '    def add(self, name: str, price: float) -> None:', // 2
  '        pass', //                                       3
  '', //                                                   4
  '    def total(self) -> float:', //                     5
  '        return 0.0', //                                 6
  '', //                                                   7
  '', //                                                   8
  'def add(x):', //                                        9
  '    label = "é😀"; cart.add(label)', //               10
  '    address = add(add)', //                            11
];

/** What pyright answers for SOURCE: hierarchical DocumentSymbols. */
const HIERARCHICAL: DocumentSymbol[] = [
  {
    name: 'Cart',
    kind: 5,
    range: { start: { line: 0, character: 0 }, end: { line: 5, character: 18 } },
    selectionRange: range(0, 6, 10),
    children: [
      {
        name: 'add',
        kind: 6,
        range: { start: { line: 1, character: 4 }, end: { line: 2, character: 12 } },
        selectionRange: range(1, 8, 11),
        children: [
          { name: 'name', kind: 13, range: range(1, 18, 27), selectionRange: range(1, 18, 22) },
        ],
      },
      {
        name: 'total',
        kind: 6,
        range: { start: { line: 4, character: 4 }, end: { line: 5, character: 18 } },
        selectionRange: range(4, 8, 13),
      },
    ],
  },
  { name: 'add', kind: 12, range: range(8, 0, 11), selectionRange: range(8, 4, 7) },
];

/** What pylsp answers: flat SymbolInformation whose range starts at the `def`/`class` keyword. */
const uri = 'file:///workspace/cart.py';
const FLAT: SymbolInformation[] = [
  { name: 'Cart', kind: 5, location: { uri, range: range(0, 0, 11) } },
  { name: 'add', kind: 6, containerName: 'Cart', location: { uri, range: range(1, 4, 51) } },
  { name: 'total', kind: 6, containerName: 'Cart', location: { uri, range: range(4, 4, 29) } },
  { name: 'add', kind: 12, location: { uri, range: range(8, 0, 11) } },
];

describe('flattenSymbols', () => {
  test('hierarchical symbols become dotted paths positioned at their names', () => {
    expect(
      flattenSymbols(HIERARCHICAL, SOURCE).map((s) => [
        s.path,
        s.position.line,
        s.position.character,
      ]),
    ).toEqual([
      ['Cart', 0, 6],
      ['Cart.add', 1, 8],
      ['Cart.add.name', 1, 18],
      ['Cart.total', 4, 8],
      ['add', 8, 4],
    ]);
  });

  test('flat symbols use their container and find the name on the line, not the keyword', () => {
    expect(
      flattenSymbols(FLAT, SOURCE).map((s) => [s.path, s.position.line, s.position.character]),
    ).toEqual([
      ['Cart', 0, 6],
      ['Cart.add', 1, 8],
      ['Cart.total', 4, 8],
      ['add', 8, 4],
    ]);
  });

  test('a flat symbol whose range starts at a decorator is found on a following line', () => {
    const lines = ['class A:', '    @staticmethod', '    def make():', '        pass'];
    const [make] = flattenSymbols(
      [{ name: 'make', kind: 6, containerName: 'A', location: { uri, range: range(1, 4, 14) } }],
      lines,
    );
    expect(make?.position).toEqual({ line: 2, character: 8 });
  });

  test('a flat symbol is matched as a whole identifier, not inside a longer one', () => {
    const [price] = flattenSymbols(
      [{ name: 'price', kind: 13, location: { uri, range: range(0, 0, 25) } }],
      ['unit_price, price = 1, 2'],
    );
    expect(price?.position).toEqual({ line: 0, character: 12 });
  });

  test('a flat symbol on a non-ASCII line keeps UTF-16 offsets', () => {
    const [value] = flattenSymbols(
      [{ name: 'value', kind: 13, location: { uri, range: range(0, 0, 20) } }],
      ['s = "😀"; value = 1'],
    );
    expect(value?.position).toEqual({ line: 0, character: 10 });
  });
});

describe('resolveAddress', () => {
  const symbols = () => Promise.resolve(flattenSymbols(HIERARCHICAL, SOURCE));
  const unused = (): Promise<NamedSymbol[]> => {
    throw new Error('symbols should not be needed');
  };
  /** A sync throw and a rejection both count as failing. */
  const resolve = async (address: Address, load = symbols) => resolveAddress(SOURCE, address, load);

  test('line and column convert to a 0-based UTF-16 position without asking for symbols', async () => {
    expect(await resolve({ line: 2, column: 9 }, unused)).toEqual({ line: 1, character: 8 });
    // Line 10 `    label = "é😀"; cart.add(label)`: `add` is character 24, UTF-16 offset 24.
    expect(await resolve({ line: 10, column: 24 }, unused)).toEqual({ line: 9, character: 24 });
  });

  test('a column just past the end of the line is allowed', async () => {
    expect(await resolve({ line: 3, column: 13 }, unused)).toEqual({ line: 2, character: 12 });
  });

  test('line and symbol find the symbol on that line, in characters', async () => {
    expect(await resolve({ line: 10, symbol: 'add' }, unused)).toEqual({ line: 9, character: 24 });
    expect(await resolve({ line: 10, symbol: 'cart' }, unused)).toEqual({
      line: 9,
      character: 19,
    });
    // The last part of a path is what is looked for on the line.
    expect(await resolve({ line: 10, symbol: 'Cart.add' }, unused)).toEqual({
      line: 9,
      character: 24,
    });
  });

  test('line and symbol match whole identifiers only', async () => {
    // Line 11 `    address = add(add)`: `add` twice, never inside `address`.
    await expect(resolve({ line: 11, symbol: 'address' }, unused)).resolves.toEqual({
      line: 10,
      character: 4,
    });
    await expect(resolve({ line: 11, symbol: 'add' }, unused)).rejects.toMatchObject({
      code: 'symbol_ambiguous',
      message: expect.stringContaining('columns 15, 19'),
    });
  });

  test.each(['Cart.add', 'Cart/add', 'Cart::add', ' Cart.add '])(
    'the name path %j finds the method declaration',
    async (symbol) => {
      expect(await resolve({ symbol })).toEqual({ line: 1, character: 8 });
    },
  );

  test('an exact path wins over a longer one ending with it', async () => {
    // `add` is the top-level function; `Cart.add` also ends with it.
    expect(await resolve({ symbol: 'add' })).toEqual({ line: 8, character: 4 });
  });

  test('a unique suffix is enough', async () => {
    expect(await resolve({ symbol: 'total' })).toEqual({ line: 4, character: 8 });
    expect(await resolve({ symbol: 'add.name' })).toEqual({ line: 1, character: 18 });
  });

  test('the same works on flat (pylsp) symbols', async () => {
    const flat = () => Promise.resolve(flattenSymbols(FLAT, SOURCE));
    expect(await resolve({ symbol: 'Cart::add' }, flat)).toEqual({ line: 1, character: 8 });
  });

  test('normaliseSymbolPath accepts dots, slashes and double colons', () => {
    expect(normaliseSymbolPath('a.b/c::d')).toEqual(['a', 'b', 'c', 'd']);
  });

  describe('errors say what went wrong', () => {
    test.each<{ name: string; address: Address; code: string; message: RegExp }>([
      {
        name: 'line 0',
        address: { line: 0, column: 1 },
        code: 'input_invalid',
        message: /line 0 is outside the file, which has 11 lines/,
      },
      {
        name: 'a line past the end',
        address: { line: 12, symbol: 'add' },
        code: 'input_invalid',
        message: /line 12 is outside the file, which has 11 lines/,
      },
      {
        name: 'column 0',
        address: { line: 1, column: 0 },
        code: 'input_invalid',
        message: /column 0 is outside line 1, which has 11 characters/,
      },
      {
        name: 'a column two past the end',
        address: { line: 1, column: 13 },
        code: 'input_invalid',
        message: /column 13 is outside line 1/,
      },
      {
        name: 'a column counted in UTF-16 units past the end',
        // Line 10 has 33 characters but 34 UTF-16 units.
        address: { line: 10, column: 35 },
        code: 'input_invalid',
        message: /column 35 is outside line 10, which has 33 characters/,
      },
      {
        name: 'both a column and a symbol',
        address: { line: 2, column: 9, symbol: 'add' },
        code: 'input_invalid',
        message: /either column or symbol/,
      },
      {
        name: 'nothing to go on',
        address: {},
        code: 'input_invalid',
        message: /line and column/,
      },
      {
        name: 'a line alone',
        address: { line: 2 },
        code: 'input_invalid',
        message: /line and column/,
      },
      {
        name: 'a name path that is not identifiers',
        address: { symbol: 'Cart.add()' },
        code: 'input_invalid',
        message: /"Cart\.add\(\)" is not a Python name path/,
      },
      {
        name: 'an empty name path',
        address: { symbol: '::' },
        code: 'input_invalid',
        message: /not a Python name path/,
      },
      {
        name: 'a symbol on a line that is not an identifier',
        address: { line: 10, symbol: 'add(' },
        code: 'input_invalid',
        message: /"add\(" is not a Python identifier/,
      },
      {
        name: 'a regex pattern instead of a name',
        address: { line: 10, symbol: '.*' },
        code: 'input_invalid',
        message: /is not a Python identifier/,
      },
      {
        name: 'a name path declared nowhere',
        address: { symbol: 'Cart.remove' },
        code: 'symbol_not_found',
        message:
          /no declaration named "Cart\.remove".*searched 5 symbols.*top-level names: Cart, add/,
      },
      {
        name: 'a symbol not on the line',
        address: { line: 6, symbol: 'add' },
        code: 'symbol_not_found',
        message: /"add" does not occur on line 6: return 0\.0/,
      },
    ])('$name', async ({ address, code, message }) => {
      await expect(resolve(address)).rejects.toMatchObject({
        name: 'PymcpError',
        code,
        message: expect.stringMatching(message),
      });
    });

    test('an ambiguous name path lists every candidate with its line', async () => {
      const twice: DocumentSymbol[] = ['Basket', 'Shelf'].map((name, index) => ({
        name,
        kind: 5,
        range: range(index * 3, 0, 20),
        selectionRange: range(index * 3, 6, 6 + name.length),
        children: [
          {
            name: 'add',
            kind: 6,
            range: range(index * 3 + 1, 4, 20),
            selectionRange: range(index * 3 + 1, 8, 11),
          },
        ],
      }));
      await expect(
        resolve({ symbol: 'add' }, () => Promise.resolve(flattenSymbols(twice))),
      ).rejects.toMatchObject({
        code: 'symbol_ambiguous',
        message: expect.stringMatching(
          /"add" matches 2 declarations: Basket\.add \(line 2\), Shelf\.add \(line 5\); use a longer name path or a line/,
        ),
      });
    });
  });
});

describe('identifierAt (the name a whole-workspace search looks for)', () => {
  test.each<[string, string, number, string | null]>([
    ['start of a name', 'cart.add(x)', 5, 'add'],
    ['inside a name', 'cart.add(x)', 6, 'add'],
    ['just after a name', 'cart.add(x)', 8, 'add'],
    ['a non-ASCII name', 'café = 1', 2, 'café'],
    ['after "é😀" on the line (UTF-16 units)', 'x = "é😀"; total()', 12, 'total'],
    ['whitespace between nothing', '    ', 2, null],
  ])('%s', (_name, line, character, expected) => {
    expect(identifierAt([line], { line: 0, character }, 'utf-16')).toBe(expected);
  });
});

describe('callOpening (signature help for the call named on a line)', () => {
  test.each<[string, string, number, number | null]>([
    // [line, character of the callee's name, character just after its "("]
    ['a call inside another call', 'print(fib(3))', 6, 10],
    ['space before the parenthesis', 'x = max (a, b)', 4, 9],
    ['a name that is not called', 'y = fib', 4, null],
    ['after "é😀" (UTF-16 units)', 's = "é😀"; go(1)', 11, 14],
  ])('%s', (_name, line, character, expected) => {
    const position = callOpening([line], { line: 0, character }, 'utf-16');
    expect(position === null ? null : position.character).toBe(expected);
  });
});

describe('FrameGuard', () => {
  const MAX = 1024;

  function frame(body: string | Buffer, header = 'Content-Length'): Buffer {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return Buffer.concat([Buffer.from(`${header}: ${bytes.length}\r\n\r\n`, 'ascii'), bytes]);
  }

  /** Everything the guard let through; rejects with the guard's error. */
  async function guard(chunks: Buffer[], max = MAX): Promise<Buffer> {
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      new FrameGuard(max),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          out.push(chunk);
          callback();
        },
      }),
    );
    return Buffer.concat(out);
  }

  function splitEvery(data: Buffer, size: number): Buffer[] {
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
    return chunks;
  }

  const STREAM = Buffer.concat([
    // Multi-byte characters: the length is in bytes, not characters (U+00A0 is two bytes).
    frame(JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'é\u00a0😀 日本' })),
    // A body that looks like a header must be passed as body.
    frame(Buffer.from('Content-Length: 999999999\r\n\r\n', 'ascii')),
    frame(
      '{"jsonrpc":"2.0","method":"x"}',
      'Content-Type: application/vscode-jsonrpc\r\ncontent-length',
    ),
    frame(''),
  ]);

  test('passes framed messages through byte for byte', async () => {
    expect((await guard([STREAM])).equals(STREAM)).toBe(true);
  });

  test.each([1, 2, 3, 7, 16, 33])(
    'passes them through when split into %i-byte chunks (headers split too)',
    async (size) => {
      expect((await guard(splitEvery(STREAM, size))).equals(STREAM)).toBe(true);
    },
  );

  test('a message of exactly the cap passes', async () => {
    const data = frame('x'.repeat(MAX));
    expect((await guard([data])).equals(data)).toBe(true);
  });

  test('a Content-Length over the cap fails as soon as the header arrives, before the body', async () => {
    const header = Buffer.from(`Content-Length: ${1024 * 1024 * 1024}\r\n\r\n`, 'ascii');
    await expect(guard([header])).rejects.toThrow(FrameSizeError);
    await expect(guard([header])).rejects.toThrow(/1073741824-byte message \(limit 1024\)/);
    // The same after a good message, with the header split across chunks.
    const later = Buffer.concat([frame('{}'), header]);
    await expect(guard(splitEvery(later, 5))).rejects.toThrow(FrameSizeError);
  });

  test('one byte over the cap fails', async () => {
    await expect(guard([frame('x'.repeat(MAX + 1))])).rejects.toThrow(FrameSizeError);
  });

  test('a header without Content-Length fails', async () => {
    await expect(
      guard([Buffer.from('Content-Type: application/json\r\n\r\n{}', 'ascii')]),
    ).rejects.toThrow(/without Content-Length/);
  });

  test('a header that never ends fails instead of growing without bound', async () => {
    const endless = Array.from({ length: 10 }, () => Buffer.from('X'.repeat(1000), 'ascii'));
    await expect(guard(endless)).rejects.toThrow(/over-long header/);
    await expect(guard([Buffer.from('Y'.repeat(9000), 'ascii')])).rejects.toThrow(
      /over-long header/,
    );
  });
});

describe('applyEdits', () => {
  const edit = (line: number, from: number, to: number, newText: string) => ({
    range: range(line, from, to),
    newText,
  });

  test('several edits on one line apply at the right places', () => {
    expect(
      applyEdits(['x = add(add(1))', 'add'], [edit(0, 4, 7, 'put'), edit(0, 8, 11, 'put')]),
    ).toBe('x = put(put(1))\nadd');
  });

  test('edits given in any order give the same text', () => {
    const lines = ['a b c'];
    const edits = [edit(0, 0, 1, 'AA'), edit(0, 2, 3, 'BB'), edit(0, 4, 5, 'CC')];
    expect(applyEdits(lines, edits)).toBe('AA BB CC');
    expect(applyEdits(lines, [...edits].reverse())).toBe('AA BB CC');
  });

  test('UTF-16 offsets on a non-ASCII line land on the right characters', () => {
    // `add` is at UTF-16 offsets 16..19 (characters 15..18): 😀 takes two units.
    const line = 'x = "é😀"; cart.add(x)';
    expect(line.slice(16, 19)).toBe('add');
    expect(applyEdits([line], [edit(0, 16, 19, 'put')])).toBe('x = "é😀"; cart.put(x)');
  });

  test('edits on several lines and across lines', () => {
    const lines = ['def add():', '    pass', '', 'add()'];
    expect(
      applyEdits(lines, [
        edit(0, 4, 7, 'put'),
        edit(3, 0, 3, 'put'),
        {
          range: { start: { line: 1, character: 4 }, end: { line: 2, character: 0 } },
          newText: 'return 1\n',
        },
      ]),
    ).toBe('def put():\n    return 1\n\nput()');
  });

  test('insertion at the end of the last line and at the end of the file', () => {
    expect(applyEdits(['a = 1', 'b = 2'], [edit(1, 5, 5, '  # two')])).toBe('a = 1\nb = 2  # two');
    // pylsp replaces whole files up to {line: number of lines, character: 0}.
    expect(
      applyEdits(
        ['a = 1', 'b = 2', ''],
        [
          {
            range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } },
            newText: 'c = 3\n',
          },
        ],
      ),
    ).toBe('c = 3\n');
    expect(
      applyEdits(
        ['x'],
        [
          {
            range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } },
            newText: '\ny',
          },
        ],
      ),
    ).toBe('x\ny');
  });

  test('a character past the end of a line means the end of that line (LSP)', () => {
    expect(applyEdits(['ab', 'cd'], [edit(0, 1, 99, 'X')])).toBe('aX\ncd');
  });
});
