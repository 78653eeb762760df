/** The request cap fits the largest call a tool accepts, and not much more. */
import { describe, expect, test } from 'vitest';
import { maxRequestBytes } from '../../src/server/request-limits.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The bytes a client sends for one run_python_code call. */
function callBytes(code: string, globals: Record<string, unknown> = {}): number {
  const request = {
    jsonrpc: '2.0',
    id: 2_147_483_647,
    method: 'tools/call',
    params: {
      name: 'run_python_code',
      arguments: {
        python_code: code,
        global_variables: globals,
        session_id: 'x'.repeat(128),
        timeout_seconds: 300,
      },
      _meta: { progressToken: 'p'.repeat(64) },
    },
  };
  return Buffer.byteLength(JSON.stringify(request), 'utf8');
}

/** Exactly `bytes` of UTF-8 Python source made of `line` repeated (and cut to fit). */
function codeOf(line: string, bytes: number): string {
  const text = line.repeat(Math.ceil(bytes / Buffer.byteLength(line, 'utf8')));
  return Buffer.from(text, 'utf8')
    .subarray(0, bytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

describe('maxRequestBytes', () => {
  test.each([
    [KiB, 2 * KiB + MiB + 64 * KiB],
    [MiB, 3 * MiB + 64 * KiB],
    [8 * MiB, 17 * MiB + 64 * KiB],
  ])('codeBytes %i -> %i', (codeBytes, expected) => {
    expect(maxRequestBytes(codeBytes)).toBe(expected);
  });

  test.each([
    ['plain code', 'total = sum(range(100))\n'],
    ['string-heavy code (quotes and backslashes escape to two bytes)', 'print("a\\tb", \'"\')\n'],
    ['non-ASCII code (sent as UTF-8, not escaped)', 'naïve = "π ≈ 3.14159 — ok"\n'],
    ['indented code (tabs and newlines)', '\tif x:\n\t\ty = 1\n'],
  ])('a call with the largest %s and 1 MiB of globals fits', (_name, line) => {
    const codeBytes = MiB;
    const code = codeOf(line, codeBytes);
    expect(Buffer.byteLength(code, 'utf8')).toBeLessThanOrEqual(codeBytes);
    const globals = { data: 'g'.repeat(MiB - 16) };
    expect(callBytes(code, globals)).toBeLessThanOrEqual(maxRequestBytes(codeBytes));
  });
});
