import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import {
  StreamMessageReader,
  WriteableStreamMessageWriter,
  type Message,
} from 'vscode-languageserver-protocol/node';
import { FramedWritable } from '../../src/lsp/framed-writable.js';

describe('FramedWritable', () => {
  test("vscode-jsonrpc's header and body reach the stream in one write, and read back intact", async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = new WriteableStreamMessageWriter(new FramedWritable(stream));
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: { text: 'é ✓ 𝄞' } },
      { jsonrpc: '2.0', method: 'initialized', params: {} },
      { jsonrpc: '2.0', id: 2, result: 'x'.repeat(100_000) },
    ];
    for (const message of messages) await writer.write(message);
    expect(chunks).toHaveLength(messages.length);
    for (const chunk of chunks)
      expect(chunk.toString('latin1')).toMatch(/^Content-Length: \d+\r\n\r\n\{/);

    // The same bytes, read by the library's own reader.
    const replay = new PassThrough();
    const reader = new StreamMessageReader(replay);
    const read: unknown[] = [];
    const all = new Promise<void>((resolve) => {
      reader.listen((message) => {
        read.push(message);
        if (read.length === messages.length) resolve();
      });
    });
    replay.end(Buffer.concat(chunks));
    await all;
    expect(read).toEqual(messages);
    reader.dispose();
    writer.dispose();
  });

  test('a write error reaches the writer as a rejected write', async () => {
    const stream = new PassThrough();
    stream.destroy();
    const writer = new WriteableStreamMessageWriter(new FramedWritable(stream));
    writer.onError(() => undefined);
    await expect(writer.write({ jsonrpc: '2.0', method: 'x' } as Message)).rejects.toBeDefined();
  });
});
