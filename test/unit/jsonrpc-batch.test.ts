/** JSON-RPC batches: allowed up to MCP 2025-03-26, refused from 2025-06-18 on. */
import { describe, expect, test } from 'vitest';
import { batchRefusal } from '../../src/server/jsonrpc-batch.js';

describe('batchRefusal', () => {
  test.each([
    [undefined, 'no version known: the transport specification says assume 2025-03-26'],
    ['2025-03-26', 'the version that added batching'],
    ['2024-11-05', 'an earlier version (plain JSON-RPC 2.0)'],
  ])('%s: allowed (%s)', (version, _why) => {
    expect(batchRefusal(version)).toBeNull();
  });

  test.each([
    ['2025-06-18', 'the version that removed batching'],
    ['2025-11-25', 'a later version'],
    ['2099-01-01', 'a future version'],
    ['draft', 'not a date'],
    ['', 'empty'],
    ['2025-3-26', 'not a zero-padded date'],
  ])('%j: refused (%s)', (version, _why) => {
    expect(batchRefusal(version)).toBe(
      `batch requests are not supported in protocol version ${version}`,
    );
  });
});
