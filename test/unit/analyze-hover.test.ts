/**
 * The signature `analyze` reports from a hover: the block a hover starts with when it reads as a
 * signature (pyright's, pylsp's), never a doctest line pylsp renders as a code block.
 */
import { describe, expect, test } from 'vitest';
import { splitHover } from '../../src/analyze/structure.js';

describe('splitHover', () => {
  test.each<[string, string, string, string | null, string]>([
    [
      'pyright: the leading block, without its kind',
      '```python\n(function) def fib(n: int) -> int\n```\n---\nReturn F(n).',
      'fib',
      'def fib(n: int) -> int',
      'Return F(n).',
    ],
    [
      'pylsp with a signature',
      '```python\nfib(n: int) -> int\n```\n\nReturn F(n).',
      'fib',
      'fib(n: int) -> int',
      'Return F(n).',
    ],
    [
      'pylsp without one: a doctest is not a signature',
      'Return F(n).\n\n```python\nfib(0), fib(1)\n```\n\n```\n(0, 1)\n```',
      'fib',
      null,
      'Return F(n).\n\n```python\nfib(0), fib(1)\n```\n\n```\n(0, 1)\n```',
    ],
    [
      'a docstring that starts with a doctest',
      '```python\nfib(0), fib(1)\n```',
      'fib',
      null,
      '```python\nfib(0), fib(1)\n```',
    ],
    ['pyright on a class', '```python\n(class) Cart\n```\n---\nA cart.', 'Cart', 'Cart', 'A cart.'],
  ])('%s', (_name, contents, name, signature, doc) => {
    expect(splitHover(contents, name)).toEqual([signature, doc]);
  });
});
