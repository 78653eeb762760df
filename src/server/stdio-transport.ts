/**
 * MCP over stdio with bounded reads and answers for bad lines. The SDK's StdioServerTransport
 * drops malformed lines silently and closes the connection when its buffer overflows; here a
 * malformed line gets a JSON-RPC error (-32700 / -32600) and the server keeps serving, and an
 * over-long line is discarded without ever being held in memory.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  JSONRPCMessageSchema,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { LineSplitter } from '../shared/line-splitter.js';

const PARSE_ERROR = -32700;
/** Security: JSON-RPC text must be UTF-8; invalid bytes are refused, not silently replaced. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const INVALID_REQUEST = -32600;

export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly splitter: LineSplitter;
  /** Requests received and not yet answered; stdin closing waits for them. */
  private readonly inFlight = new Set<RequestId>();
  private inputEnded = false;
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    maxLineBytes: number,
  ) {
    this.splitter = new LineSplitter(maxLineBytes, {
      line: (line) => {
        this.onLine(line);
      },
      oversized: (head, total) => {
        this.reject(
          recoverId(head.toString('utf8')),
          INVALID_REQUEST,
          `message of ${total} bytes exceeds the ${maxLineBytes}-byte limit`,
        );
      },
    });
  }

  start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onInputError);
    this.output.on('error', this.onInputError);
    return Promise.resolve();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    if (
      'id' in message &&
      ('result' in message || 'error' in message) &&
      message.id !== undefined
    ) {
      this.inFlight.delete(message.id);
    }
    const line = JSON.stringify(message) + '\n';
    if (!this.output.write(line)) {
      await new Promise<void>((resolve) => this.output.once('drain', resolve));
    }
    this.closeIfDone();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onInputError);
    this.input.pause();
    this.onclose?.();
    return Promise.resolve();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  /** The client closed stdin: answer what it already asked, then close. */
  private readonly onEnd = (): void => {
    if (this.splitter.pendingBytes() > 0) this.splitter.push(Buffer.from('\n'));
    this.inputEnded = true;
    this.closeIfDone();
  };

  private readonly onInputError = (error: Error): void => {
    this.onerror?.(error);
    void this.close();
  };

  private closeIfDone(): void {
    if (this.inputEnded && this.inFlight.size === 0) void this.close();
  }

  private onLine(line: Buffer): void {
    let text: string;
    try {
      text = UTF8.decode(line).trim();
    } catch {
      this.reject(
        recoverId(line.subarray(0, 256).toString('utf8')),
        PARSE_ERROR,
        'Parse error: the message is not valid UTF-8',
      );
      return;
    }
    if (text === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.reject(null, PARSE_ERROR, `Parse error: ${(error as Error).message}`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      const id = idOf(value);
      // A malformed notification (no id) gets no answer, as JSON-RPC 2.0 requires; a malformed
      // request gets an error with its id, or id null when none can be read.
      if (isObject(value) && !('id' in value) && 'method' in value) return;
      this.reject(id, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message');
      return;
    }
    const message = parsed.data;
    if ('method' in message && 'id' in message) this.inFlight.add(message.id);
    // A cancelled request gets no response (the SDK sends none), so stop waiting for one.
    if ('method' in message && message.method === 'notifications/cancelled' && !('id' in message)) {
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof requestId === 'string' || typeof requestId === 'number') {
        this.inFlight.delete(requestId);
        queueMicrotask(() => {
          this.closeIfDone();
        });
      }
    }
    this.onmessage?.(message);
  }

  private reject(id: RequestId | null, code: number, message: string): void {
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): RequestId | null {
  if (!isObject(value)) return null;
  const id = value.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : null;
}

/** The id of an over-long request, read from its first bytes when it comes early. */
export function recoverId(head: string): RequestId | null {
  const match = /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,128}")\s*[,}]/.exec(head);
  if (match?.[1] === undefined) return null;
  try {
    return idOf({ id: JSON.parse(match[1]) as unknown });
  } catch {
    return null;
  }
}
