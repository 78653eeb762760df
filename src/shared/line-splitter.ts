/**
 * Splits a byte stream into newline-terminated lines without ever holding more than `maxBytes`
 * of one line. An over-long line is reported once, with its first and last bytes (so a caller
 * can recover a request id, which a client may write first or last), and the rest of it is
 * discarded up to the next newline.
 */
export interface LineSink {
  line(line: Buffer): void;
  oversized(head: Buffer, tail: Buffer, totalBytes: number): void;
}

const HEAD_BYTES = 256;
const TAIL_BYTES = 512;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;
  private discardHead: Buffer = Buffer.alloc(0);
  /** The last bytes seen of the line being discarded (at most TAIL_BYTES). */
  private discardTail: Buffer = Buffer.alloc(0);
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
      this.keepTail(piece);
      return;
    }
    if (this.size + piece.length > this.maxBytes) {
      // Security: never buffer more than maxBytes of one line from a peer.
      this.discarding = true;
      const whole = Buffer.concat([...this.parts, piece]);
      this.discardHead = Buffer.from(whole.subarray(0, HEAD_BYTES));
      this.discardTail = Buffer.alloc(0);
      this.keepTail(whole);
      this.discarded = this.size + piece.length;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private keepTail(piece: Buffer): void {
    const last = piece.subarray(Math.max(0, piece.length - TAIL_BYTES));
    const joined = Buffer.concat([this.discardTail, last]);
    // A copy, so the tail never pins a large chunk of the stream in memory.
    this.discardTail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
  }

  private finishLine(): void {
    if (this.discarding) {
      const head = this.discardHead;
      const tail = this.discardTail;
      const total = this.discarded;
      this.discarding = false;
      this.discardHead = Buffer.alloc(0);
      this.discardTail = Buffer.alloc(0);
      this.discarded = 0;
      this.sink.oversized(head, tail, total);
      return;
    }
    const [only] = this.parts;
    const line = this.parts.length === 1 && only ? only : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.sink.line(line);
  }
}
