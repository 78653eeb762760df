/** `--sizes`: a comma-separated list (`10,100,1000`) or a ladder (`16..65536`). */
import { PymcpError } from '../shared/errors.js';

const MAX_SIZES = 200;

/**
 * A ladder `A..B` steps by about 1.5 (4, 6, 8, 12, 16, 24, ...): dense enough for a fit, sparse
 * enough that the budget reaches the large sizes.
 */
export function parseSizes(text: string): number[] {
  const ladder = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  let sizes: number[];
  if (ladder) {
    const from = Number(ladder[1]);
    const to = Number(ladder[2]);
    if (from < 1 || to <= from)
      throw new PymcpError('input_invalid', `--sizes ${text}: a ladder needs 1 <= A < B`);
    sizes = [];
    for (let n = from; n <= to;) {
      sizes.push(n);
      const half = Math.max(1, Math.round(n / 2));
      n = n % 3 === 0 ? (n / 3) * 4 : n + half;
    }
  } else {
    const parts = text.split(',').map((p) => p.trim().replace(/_/g, ''));
    if (parts.some((p) => !/^\d+$/.test(p)))
      throw new PymcpError(
        'input_invalid',
        `--sizes ${text}: expected non-negative integers separated by commas, or a ladder A..B`,
      );
    sizes = parts.map(Number);
  }
  if (sizes.some((n, i) => i > 0 && n <= (sizes[i - 1] ?? -1)))
    throw new PymcpError('input_invalid', `--sizes ${text}: sizes must be strictly ascending`);
  if (sizes.length > MAX_SIZES || sizes.some((n) => !Number.isSafeInteger(n)))
    throw new PymcpError('input_invalid', `--sizes ${text}: at most ${MAX_SIZES} safe integers`);
  return sizes;
}
