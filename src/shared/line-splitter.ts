/**
 * Splits a byte stream into newline-terminated lines without ever holding more than `maxBytes`
 * of one line. An over-long line is reported once (with its first bytes, so a caller can try to
 * recover a request id) and the rest of it is discarded up to the next newline.
 */
export interface LineSink {
  line(line: Buffer): void;
  oversized(head: Buffer, totalBytes: number): void;
}

const HEAD_BYTES = 256;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;
  private discardHead: Buffer = Buffer.alloc(0);
  private discarded = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: LineSink,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.finishLine();
      start = newline + 1;
    }
  }

  /** Bytes of an unterminated last line, if any (a peer that closed mid-line). */
  pendingBytes(): number {
    return this.discarding ? this.discarded : this.size;
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.discarding) {
      this.discarded += piece.length;
      return;
    }
    if (this.size + piece.length > this.maxBytes) {
      // Security: never buffer more than maxBytes of one line from a peer.
      this.discarding = true;
      this.discardHead = Buffer.concat([...this.parts, piece]).subarray(0, HEAD_BYTES);
      this.discarded = this.size + piece.length;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private finishLine(): void {
    if (this.discarding) {
      const head = this.discardHead;
      const total = this.discarded;
      this.discarding = false;
      this.discardHead = Buffer.alloc(0);
      this.discarded = 0;
      this.sink.oversized(head, total);
      return;
    }
    const [only] = this.parts;
    const line = this.parts.length === 1 && only ? only : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.sink.line(line);
  }
}
