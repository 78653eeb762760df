/**
 * MCP over stdio with bounded reads and answers for bad lines. The SDK's StdioServerTransport
 * drops malformed lines silently and closes the connection when its buffer overflows; here a
 * malformed line gets a JSON-RPC error (-32700 / -32600) and the server keeps serving, and an
 * over-long line is discarded without ever being held in memory and answered with its id.
 *
 * Batches (a JSON array) follow the negotiated protocol version (jsonrpc-batch.ts), as over
 * HTTP. Closing stdin is the client's shutdown signal (MCP lifecycle): calls in flight are
 * cancelled and the transport closes. A client that never initialised (a one-shot pipe such as
 * `echo '{...}' | isolated-pymcp serve`) gets EOF_GRACE_MS for its answers first.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  JSONRPCMessageSchema,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { LineSplitter } from '../shared/line-splitter.js';
import { batchRefusal } from './jsonrpc-batch.js';
import { recoverId } from './request-id.js';

export { recoverId };

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
/** Security: JSON-RPC text must be UTF-8; invalid bytes are refused, not silently replaced. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** How long a client that never initialised gets for its answers after closing stdin. */
export const EOF_GRACE_MS = 5000;

interface Batch {
  /** Requests of the batch not yet answered. */
  pending: Set<RequestId>;
  responses: JSONRPCMessage[];
}

export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly splitter: LineSplitter;
  /** Requests received and not yet answered. */
  private readonly inFlight = new Set<RequestId>();
  /** Batches whose responses are being gathered, to be written as one array. */
  private readonly batches: Batch[] = [];
  private protocolVersion: string | undefined;
  private initialized = false;
  private inputEnded = false;
  private eofTimer: NodeJS.Timeout | null = null;
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
      oversized: (head, tail, total) => {
        this.reject(
          recoverId(head.toString('utf8'), tail.toString('utf8')),
          INVALID_REQUEST,
          `Invalid Request: the message is ${total} bytes, which exceeds the ${maxLineBytes}-byte limit on one encoded request`,
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
    if (isResponse(message)) {
      this.inFlight.delete(message.id);
      this.noteProtocolVersion(message);
      const batch = this.batches.find((b) => b.pending.has(message.id));
      if (batch !== undefined) {
        batch.pending.delete(message.id);
        batch.responses.push(message);
        await this.flushBatches();
        this.closeIfDone();
        return;
      }
    }
    await this.write(message);
    this.closeIfDone();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.eofTimer !== null) clearTimeout(this.eofTimer);
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onInputError);
    this.input.pause();
    // The SDK aborts every request handler still running when its transport closes.
    this.onclose?.();
    return Promise.resolve();
  }

  private async write(value: JSONRPCMessage | JSONRPCMessage[]): Promise<void> {
    if (!this.output.write(JSON.stringify(value) + '\n')) {
      await new Promise<void>((resolve) => this.output.once('drain', resolve));
    }
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  /**
   * The client closed stdin: its shutdown signal. An initialised client's calls are cancelled
   * at once; a one-shot pipe gets EOF_GRACE_MS for its answers, then the same.
   */
  private readonly onEnd = (): void => {
    if (this.splitter.pendingBytes() > 0) this.splitter.push(Buffer.from('\n'));
    this.inputEnded = true;
    if (this.inFlight.size === 0 || this.initialized) {
      void this.close();
      return;
    }
    this.eofTimer = setTimeout(() => void this.close(), EOF_GRACE_MS);
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
    if (Array.isArray(value)) this.onBatch(value);
    else {
      const error = this.receive(value);
      if (error !== null) void this.write(error);
    }
  }

  /** A batch: refused as a whole where the protocol version has none, else one array answer. */
  private onBatch(values: unknown[]): void {
    const refusal = values.length === 0 ? 'empty batch' : batchRefusal(this.protocolVersion);
    if (refusal !== null) {
      this.reject(null, INVALID_REQUEST, `Invalid Request: ${refusal}`);
      return;
    }
    const batch: Batch = { pending: new Set(), responses: [] };
    const parsed = values.map(parseMessage);
    // Only requests that will reach the server are waited for; a bad one is answered here.
    for (const result of parsed) {
      if (result.success && 'method' in result.data && 'id' in result.data) {
        batch.pending.add(result.data.id);
      }
    }
    this.batches.push(batch);
    values.forEach((value, index) => {
      const error = this.receive(value, parsed[index]);
      if (error !== null) batch.responses.push(error);
    });
    void this.flushBatches();
  }

  /** Validate one message and hand it on; the error response to send for a bad one, if any. */
  private receive(value: unknown, parsed = parseMessage(value)): JSONRPCMessage | null {
    if (!parsed.success) {
      // A malformed notification (no id) gets no answer, as JSON-RPC 2.0 requires; a malformed
      // request gets an error with its id, or id null when none can be read.
      if (isObject(value) && !('id' in value) && 'method' in value) return null;
      return errorResponse(
        idOf(value),
        INVALID_REQUEST,
        'Invalid Request: not a JSON-RPC 2.0 message',
      );
    }
    const message = parsed.data;
    if ('method' in message) {
      if ('id' in message) this.inFlight.add(message.id);
      else if (message.method === 'notifications/initialized') this.initialized = true;
      else if (message.method === 'notifications/cancelled') this.forget(message.params);
    }
    this.onmessage?.(message);
    return null;
  }

  /** A cancelled request gets no response (the SDK sends none), so stop waiting for one. */
  private forget(params: unknown): void {
    const requestId = isObject(params) ? params.requestId : undefined;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    this.inFlight.delete(requestId);
    for (const batch of this.batches) batch.pending.delete(requestId);
    queueMicrotask(() => {
      void this.flushBatches();
      this.closeIfDone();
    });
  }

  /** Write every batch whose requests are all answered, in arrival order of completion. */
  private async flushBatches(): Promise<void> {
    for (let i = 0; i < this.batches.length;) {
      const batch = this.batches[i];
      if (batch === undefined || batch.pending.size > 0) {
        i += 1;
        continue;
      }
      this.batches.splice(i, 1);
      // JSON-RPC: a batch of notifications only gets no answer at all.
      if (batch.responses.length > 0) await this.write(batch.responses);
    }
  }

  /** Remember the version the server agreed to in its initialize result. */
  private noteProtocolVersion(message: JSONRPCMessage): void {
    const result = 'result' in message && isObject(message.result) ? message.result : null;
    if (result !== null && typeof result.protocolVersion === 'string' && 'serverInfo' in result) {
      this.protocolVersion = result.protocolVersion;
    }
  }

  private reject(id: RequestId | null, code: number, message: string): void {
    if (this.closed) return;
    void this.write(errorResponse(id, code, message));
  }
}

type Parsed = { success: true; data: JSONRPCMessage } | { success: false };

const ENVELOPE_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

/**
 * JSONRPCMessageSchema.safeParse, with a shortcut for the messages nearly every line is: a
 * request or notification whose envelope is plainly valid and whose params carry no `_meta`.
 * The shortcut only accepts what the schema accepts (a strict envelope, a string method, a
 * safe-integer or string id, params an object); everything else goes to the schema.
 */
export function parseMessage(value: unknown): Parsed {
  if (isPlainRequest(value)) return { success: true, data: value };
  const parsed = JSONRPCMessageSchema.safeParse(value);
  return parsed.success ? { success: true, data: parsed.data } : { success: false };
}

function isPlainRequest(value: unknown): value is JSONRPCMessage {
  if (!isObject(value) || value.jsonrpc !== '2.0' || typeof value.method !== 'string') {
    return false;
  }
  for (const key of Object.keys(value)) if (!ENVELOPE_KEYS.has(key)) return false;
  const { id, params } = value;
  const idOk =
    id === undefined ? !('id' in value) : typeof id === 'string' || Number.isSafeInteger(id);
  return (
    idOk && (params === undefined ? !('params' in value) : isObject(params) && !('_meta' in params))
  );
}

function errorResponse(id: RequestId | null, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage;
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return 'id' in message && ('result' in message || 'error' in message) && message.id !== undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): RequestId | null {
  if (!isObject(value)) return null;
  const id = value.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : null;
}
