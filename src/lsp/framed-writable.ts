/**
 * The language server's stdin as vscode-jsonrpc writes to it, with each message's header and
 * body in one write. The library writes the two separately and waits for the header's write to
 * complete before it writes the body, so the server would read (and wake up for) the header
 * alone, then again for the body: two wake-ups and two reads for every request.
 */
import type { Writable } from 'node:stream';
import { Disposable, type RAL } from 'vscode-jsonrpc';

export class FramedWritable implements RAL.WritableStream {
  /** A header written and not yet sent: it goes out with the body that follows it. */
  private header: Buffer | null = null;

  constructor(private readonly stream: Writable) {}

  onClose(listener: () => void): Disposable {
    return this.listen('close', listener);
  }

  onError(listener: (error: unknown) => void): Disposable {
    return this.listen('error', listener);
  }

  onEnd(listener: () => void): Disposable {
    return this.listen('end', listener);
  }

  write(data: Uint8Array | string, encoding?: RAL.MessageBufferEncoding): Promise<void> {
    // vscode-jsonrpc writes a message's headers as one ASCII string ending in a blank line.
    if (typeof data === 'string' && this.header === null && data.endsWith('\r\n\r\n')) {
      this.header = Buffer.from(data, 'ascii');
      return Promise.resolve();
    }
    const chunk = typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf-8') : data;
    const out = this.header === null ? chunk : Buffer.concat([this.header, chunk]);
    this.header = null;
    return new Promise((resolve, reject) => {
      this.stream.write(out, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }

  end(): void {
    this.stream.end();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
  private listen(event: string, listener: (...args: any[]) => void): Disposable {
    this.stream.on(event, listener);
    return Disposable.create(() => this.stream.off(event, listener));
  }
}
