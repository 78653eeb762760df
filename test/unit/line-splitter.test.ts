import { describe, expect, test } from 'vitest';
import { LineSplitter } from '../../src/shared/line-splitter.js';

function split(chunks: string[], max = 16) {
  const lines: string[] = [];
  const oversized: Array<[string, number]> = [];
  const tails: string[] = [];
  const splitter = new LineSplitter(max, {
    line: (line) => lines.push(line.toString()),
    oversized: (head, tail, total) => {
      oversized.push([head.toString(), total]);
      tails.push(tail.toString());
    },
  });
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  return { lines, oversized, tails, pending: splitter.pendingBytes() };
}

describe('LineSplitter', () => {
  test.each([
    { name: 'one line', chunks: ['abc\n'], lines: ['abc'] },
    { name: 'several lines in one chunk', chunks: ['a\nb\nc\n'], lines: ['a', 'b', 'c'] },
    { name: 'a line split across chunks', chunks: ['ab', 'c\nd', 'e\n'], lines: ['abc', 'de'] },
    { name: 'empty lines', chunks: ['\n\n'], lines: ['', ''] },
  ])('$name', ({ chunks, lines }) => {
    expect(split(chunks).lines).toEqual(lines);
  });

  test('keeps an unterminated tail pending', () => {
    expect(split(['abc\nde'])).toMatchObject({ lines: ['abc'], pending: 2 });
  });

  test('an over-long line is reported once with its head and total size, then dropped', () => {
    const result = split(['0123456789', '0123456789', '01234\nok\n']);
    expect(result.lines).toEqual(['ok']);
    expect(result.oversized).toEqual([['01234567890123456789', 25]]);
  });

  test('an over-long line also reports its last bytes, where a client may have put the id', () => {
    const line = `{"params":"${'x'.repeat(5000)}","id":42}`;
    const result = split([line.slice(0, 1000), line.slice(1000), '\n'], 100);
    expect(result.tails[0]).toMatch(/x","id":42}$/);
    expect(result.tails[0]?.length).toBeLessThanOrEqual(512);
  });

  test('never buffers past the cap while a huge line streams in', () => {
    const result = split([...Array<string>(1000).fill('x'.repeat(1000)), '\nafter\n']);
    expect(result.oversized).toHaveLength(1);
    expect(result.oversized[0]?.[1]).toBe(1_000_000);
    expect(result.lines).toEqual(['after']);
  });

  test('counts bytes, not characters', () => {
    // 6 two-byte characters = 12 bytes fits 16; 9 of them (18 bytes) does not.
    expect(split(['éééééé\n']).lines).toEqual(['éééééé']);
    expect(split(['ééééééééé\n']).oversized).toHaveLength(1);
  });
});
