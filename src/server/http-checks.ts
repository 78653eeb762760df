/**
 * The checks every HTTP request passes before it reaches an MCP session, each a pure function of
 * a header or the parsed body: null to let the request on, else the refusal to answer with.
 * serveHttp applies them in order: Host, Origin, token, path, method, then for POST the media
 * type, the declared length and, once read, the JSON-RPC shape and the batch rule.
 */
import { isJSONRPCRequest, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { authorized } from './http-auth.js';
import { batchRefusal } from './jsonrpc-batch.js';

/** An HTTP status with the JSON-RPC error that forms its body. */
export interface Refusal {
  status: number;
  code: number;
  message: string;
  headers?: Record<string, string>;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'status' in value && 'code' in value;
}

export const MCP_PATH = '/mcp';
export const ALLOWED_METHODS = ['GET', 'POST', 'DELETE'] as const;

/** JSON-RPC error codes. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
/** Implementation-defined server error: the code for refusals that are not about the message. */
export const SERVER_ERROR = -32000;
export const SESSION_NOT_FOUND = -32001;

/** Host header values that name this server: loopback, with its port. */
export function loopbackAuthorities(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/**
 * `extra`: authorities a balancer in front forwards (its own, e.g. `127.0.0.1:8080`), given by
 * the operator; the client's Host passes through the balancer and is checked here.
 */
export function checkHost(
  host: string | undefined,
  port: number,
  extra: readonly string[] = [],
): Refusal | null {
  // Security: DNS rebinding; a page on attacker.example resolved to 127.0.0.1 still sends its own Host.
  const allowed = [...loopbackAuthorities(port), ...extra];
  if (host !== undefined && allowed.includes(host.toLowerCase())) return null;
  return forbidden('Forbidden: Host header is not this loopback server');
}

export function checkOrigin(
  origin: string | undefined,
  port: number,
  extra: readonly string[] = [],
): Refusal | null {
  // Non-browser clients send no Origin; browsers always do on cross-origin requests.
  if (origin === undefined) return null;
  const allowed = [...loopbackAuthorities(port), ...extra].map(
    (authority) => `http://${authority}`,
  );
  // Security: cross-origin requests from browser pages; only this server's own origin may call.
  if (allowed.includes(origin.toLowerCase())) return null;
  return forbidden('Forbidden: Origin is not allowed');
}

export function checkToken(authorization: string | undefined, tokenDigest: Buffer): Refusal | null {
  // Security: every request carries the bearer token; other local users and processes lack it.
  if (authorized(authorization, tokenDigest)) return null;
  return {
    status: 401,
    code: SERVER_ERROR,
    message: 'Unauthorized: a valid bearer token is required',
    headers: { 'WWW-Authenticate': 'Bearer' },
  };
}

export function checkPath(url: string | undefined): Refusal | null {
  // Security: one MCP endpoint, nothing else to probe (the probes and /metrics of http-service.ts
  // are answered before this check, and only those three paths).
  if ((url ?? '').split('?')[0] === MCP_PATH) return null;
  return { status: 404, code: SERVER_ERROR, message: `Not found: the MCP endpoint is ${MCP_PATH}` };
}

export function checkMethod(method: string | undefined): Refusal | null {
  if ((ALLOWED_METHODS as readonly (string | undefined)[]).includes(method)) return null;
  return {
    status: 405,
    code: SERVER_ERROR,
    message: 'Method not allowed',
    headers: { Allow: ALLOWED_METHODS.join(', ') },
  };
}

export function checkContentType(contentType: string | undefined): Refusal | null {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  // Security: only JSON; a form post from a page (a "simple" CORS request) is refused unread.
  if (mediaType === 'application/json') return null;
  return {
    status: 415,
    code: SERVER_ERROR,
    message: 'Unsupported Media Type: Content-Type must be application/json',
  };
}

export function checkDeclaredLength(
  contentLength: string | undefined,
  cap: number,
): Refusal | null {
  // Security: refuse a declared oversized body before reading any of it.
  return Number(contentLength ?? 0) > cap ? tooLarge(cap) : null;
}

/** The answer to a body over `cap` bytes, declared or streamed. */
export function tooLarge(cap: number): Refusal {
  return {
    status: 413,
    code: SERVER_ERROR,
    message: `Payload Too Large: the request body exceeds ${cap} bytes`,
    // The rest of the body is not read: the connection cannot carry another request.
    headers: { Connection: 'close' },
  };
}

/** Security: JSON-RPC text must be UTF-8; invalid bytes are refused, not silently replaced. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON, or the parse error to answer with. */
export function parseBody(bytes: Uint8Array): { body: unknown } | Refusal {
  try {
    return { body: JSON.parse(UTF8.decode(bytes)) as unknown };
  } catch {
    return {
      status: 400,
      code: PARSE_ERROR,
      message: 'Parse error: the body is not valid UTF-8 JSON',
    };
  }
}

/**
 * The parsed body must be one JSON-RPC message or a non-empty array of them; anything else (a
 * number, a string, null, an object without "jsonrpc": "2.0" and a method or a result) is an
 * invalid request, answered at once rather than passed on to a session.
 */
export function checkMessage(body: unknown): Refusal | null {
  const messages = Array.isArray(body) ? (body as unknown[]) : [body];
  if (messages.length > 0 && messages.every((m) => JSONRPCMessageSchema.safeParse(m).success)) {
    return null;
  }
  return {
    status: 400,
    code: INVALID_REQUEST,
    message: Array.isArray(body)
      ? 'Invalid Request: a batch must be a non-empty array of JSON-RPC 2.0 messages'
      : 'Invalid Request: the body is not a JSON-RPC 2.0 request, notification or response',
  };
}

/**
 * An initialize message (without a session) must be a request: a notification gets no answer,
 * so its session would have an id no client ever learns, and hold a place until it expired.
 */
export function checkInitialize(body: unknown): Refusal | null {
  if (isJSONRPCRequest(body)) return null;
  return {
    status: 400,
    code: INVALID_REQUEST,
    message: 'Invalid Request: initialize must be a request, with an id',
  };
}

/** A batch (array body) under the session's protocol version: allowed only before 2025-06-18. */
export function checkBatch(body: unknown, protocolVersion: string | undefined): Refusal | null {
  if (!Array.isArray(body)) return null;
  const refusal = batchRefusal(protocolVersion);
  return refusal === null ? null : { status: 400, code: INVALID_REQUEST, message: refusal };
}

function forbidden(message: string): Refusal {
  return { status: 403, code: SERVER_ERROR, message };
}
