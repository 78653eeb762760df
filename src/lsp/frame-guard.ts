/**
 * A pass-through stream that watches the language server's Content-Length headers and fails as
 * soon as one announces a message larger than the cap, before any of it is buffered. The
 * framing itself stays with vscode-jsonrpc; this only refuses what it would otherwise read
 * without limit.
 */
import { Transform, type TransformCallback } from 'node:stream';

const MAX_HEADER_BYTES = 8 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

export class FrameSizeError extends Error {
  override readonly name = 'FrameSizeError';
}

export class FrameGuard extends Transform {
  private header = Buffer.alloc(0);
  /** Body bytes still to pass before the next header starts. */
  private bodyLeft = 0;

  constructor(private readonly maxMessageBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.inspect(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }

  private inspect(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - offset);
        this.bodyLeft -= take;
        offset += take;
        continue;
      }
      // In a header: collect until the blank line (headers are ASCII and short).
      const piece = chunk.subarray(offset);
      const joined = Buffer.concat([this.header, piece]);
      const end = joined.indexOf(HEADER_END);
      if (end === -1) {
        if (joined.length > MAX_HEADER_BYTES)
          throw new FrameSizeError('language server sent an over-long header');
        this.header = joined;
        return;
      }
      const consumed = end + HEADER_END.length - this.header.length;
      const length = contentLength(joined.subarray(0, end).toString('ascii'));
      // Security: a server announcing a huge message is stopped before we buffer it.
      if (length > this.maxMessageBytes) {
        throw new FrameSizeError(
          `language server sent a ${length}-byte message (limit ${this.maxMessageBytes})`,
        );
      }
      this.header = Buffer.alloc(0);
      this.bodyLeft = length;
      offset += consumed;
    }
  }
}

function contentLength(header: string): number {
  const match = /^content-length:\s*(\d+)\s*$/im.exec(header);
  if (match?.[1] === undefined)
    throw new FrameSizeError('language server sent a header without Content-Length');
  return Number(match[1]);
}
