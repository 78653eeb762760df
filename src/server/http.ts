/**
 * Serve MCP over Streamable HTTP on loopback only. Every request passes, in order: the Host and
 * Origin checks (DNS rebinding), the bearer token, the /mcp path, the method, and for POST the
 * media type and a byte-capped, parsed body. Then it goes to its MCP session: one stateful SDK
 * transport and one createServer() per session, closed on DELETE, on idle, or at shutdown.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { PymcpError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { ServerHandle } from './create-server.js';
import { assertLoopback, authorized, digest } from './http-auth.js';

export { LOOPBACK_HOSTS, TOKEN_ENV, assertLoopback, loadToken, resolveToken } from './http-auth.js';

export const MCP_PATH = '/mcp';
export const DEFAULT_MAX_HTTP_SESSIONS = 32;
export const DEFAULT_HTTP_IDLE_MS = 30 * 60 * 1000;
/** Security: JSON-RPC text must be UTF-8; invalid bytes are refused, not silently replaced. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface HttpOptions {
  host: string;
  port: number;
  token: string;
  /** Largest POST body, in bytes. */
  maxBodyBytes: number;
  /** A new MCP server for one HTTP session; it owns that session's Python sessions. */
  connect(connectionId: string): ServerHandle;
  logger: Logger;
  maxSessions?: number;
  idleMs?: number;
}

export interface HttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:8765/mcp. */
  url: string;
  port: number;
  /** Stop listening, close every MCP session and every connection. */
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  handle: ServerHandle;
  lastUsed: number;
  /** POST requests still being answered; a session is not idle while one runs. */
  inFlight: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export async function serveHttp(options: HttpOptions): Promise<HttpServer> {
  assertLoopback(options.host);
  const { logger, maxBodyBytes } = options;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_HTTP_SESSIONS;
  const idleMs = options.idleMs ?? DEFAULT_HTTP_IDLE_MS;
  const tokenDigest = digest(options.token);
  const sessions = new Map<string, Session>();
  let opening = 0;
  let port = options.port;
  let closing = false;

  const closeSession = async (id: string, why: string): Promise<void> => {
    const session = sessions.get(id);
    if (session === undefined) return;
    sessions.delete(id);
    clearTimeout(session.timer);
    logger.debug(`http: session ${id} closed (${why})`);
    await session.handle.close();
  };

  const armIdle = (id: string, session: Session): void => {
    clearTimeout(session.timer);
    const wait = Math.max(0, session.lastUsed + idleMs - Date.now());
    session.timer = setTimeout(() => {
      if (session.inFlight > 0 || Date.now() - session.lastUsed < idleMs) armIdle(id, session);
      else {
        closeSession(id, 'idle').catch((error: unknown) => {
          logger.warn(`http: closing idle session ${id} failed`, error);
        });
      }
    }, wait);
    // Security: an idle timer never keeps the process alive.
    session.timer.unref();
  };

  const openSession = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> => {
    // Security: a fixed number of sessions, so a client cannot exhaust memory or sandboxes.
    if (sessions.size + opening >= maxSessions) {
      refuse(
        res,
        503,
        -32000,
        `too many MCP sessions (${maxSessions} open); close one (DELETE) or try later`,
        logger,
        { 'Retry-After': '60' },
      );
      return;
    }
    opening += 1;
    const id = randomUUID();
    const handle = options.connect(`http:${id}`);
    try {
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => id,
        onsessioninitialized: () => {
          // A session opened during shutdown is closed in `finally` below, not kept.
          if (closing) return;
          const session: Session = {
            transport,
            handle,
            lastUsed: Date.now(),
            inFlight: 0,
            timer: undefined,
          };
          sessions.set(id, session);
          armIdle(id, session);
          logger.debug(`http: session ${id} opened`);
        },
      });
      // Set before connect(): the SDK chains its own handler after this one.
      transport.onclose = () => {
        closeSession(id, 'transport closed').catch((error: unknown) => {
          logger.warn(`http: closing session ${id} failed`, error);
        });
      };
      transport.onerror = (error) => {
        logger.debug(`http: session ${id}: ${error.message}`);
      };
      await handle.server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      opening -= 1;
      // The initialize request failed: nothing will ever use this server.
      if (!sessions.has(id)) await handle.close();
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    // Security: DNS rebinding; a page on attacker.example resolved to 127.0.0.1 still sends its own Host.
    const host = req.headers.host?.toLowerCase();
    if (host === undefined || !allowedHosts.includes(host)) {
      refuse(res, 403, -32000, 'Forbidden: Host header is not this loopback server', logger);
      return;
    }
    // Security: cross-origin requests from browser pages; only this server's own origin may call.
    const origin = req.headers.origin;
    if (
      origin !== undefined &&
      !allowedHosts.map((h) => `http://${h}`).includes(origin.toLowerCase())
    ) {
      refuse(res, 403, -32000, 'Forbidden: Origin is not allowed', logger);
      return;
    }
    // Security: every request carries the bearer token; other local users and processes lack it.
    if (!authorized(req.headers.authorization, tokenDigest)) {
      refuse(res, 401, -32000, 'Unauthorized: a valid bearer token is required', logger, {
        'WWW-Authenticate': 'Bearer',
      });
      return;
    }
    // Security: one endpoint, nothing else to probe.
    if ((req.url ?? '').split('?')[0] !== MCP_PATH) {
      refuse(res, 404, -32000, `Not found: the MCP endpoint is ${MCP_PATH}`, logger);
      return;
    }
    const method = req.method ?? '';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      refuse(res, 405, -32000, 'Method not allowed', logger, { Allow: 'GET, POST, DELETE' });
      return;
    }
    if (closing) {
      refuse(res, 503, -32000, 'the server is shutting down', logger);
      return;
    }
    let body: unknown;
    if (method === 'POST') {
      // Security: only JSON; a form post from a page (a "simple" CORS request) is refused unread.
      if (!isJson(req.headers['content-type'])) {
        refuse(
          res,
          415,
          -32000,
          'Unsupported Media Type: Content-Type must be application/json',
          logger,
        );
        return;
      }
      const read = await readBody(req, maxBodyBytes);
      if (read === 'aborted') {
        logger.debug('http: the client went away mid-body');
        return;
      }
      if (read === 'too_large') {
        refuse(
          res,
          413,
          -32000,
          `Payload Too Large: the request body exceeds ${maxBodyBytes} bytes`,
          logger,
          { Connection: 'close' },
        );
        return;
      }
      try {
        body = JSON.parse(UTF8.decode(read));
      } catch {
        refuse(res, 400, -32700, 'Parse error: the body is not valid UTF-8 JSON', logger);
        return;
      }
    }
    const sessionId = req.headers['mcp-session-id'];
    if (sessionId === undefined) {
      if (method === 'POST' && isInitializeRequest(body)) await openSession(req, res, body);
      else refuse(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required', logger);
      return;
    }
    const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (session === undefined) {
      refuse(res, 404, -32001, 'Session not found', logger);
      return;
    }
    session.lastUsed = Date.now();
    if (method === 'POST') {
      session.inFlight += 1;
      res.once('close', () => {
        session.inFlight -= 1;
        session.lastUsed = Date.now();
      });
    }
    await session.transport.handleRequest(req, res, body);
  };

  const server = createHttpServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      // Never crash on a request: log it, answer if still possible.
      logger.error('http: request failed', error);
      if (!res.headersSent) refuse(res, 500, -32603, 'Internal error', logger);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      reject(
        new PymcpError(
          'config_invalid',
          `cannot listen on ${options.host}:${port}: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    };
    server.once('error', failed);
    server.listen(port, options.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  server.on('error', (error) => {
    logger.error('http: server error', error);
  });
  const address = server.address();
  if (address !== null && typeof address === 'object') port = address.port;
  const urlHost = options.host === '::1' ? '[::1]' : options.host;
  return {
    url: `http://${urlHost}:${port}${MCP_PATH}`,
    port,
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await Promise.allSettled([...sessions.keys()].map((id) => closeSession(id, 'shutdown')));
      server.closeAllConnections();
      await stopped;
    },
  };
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * The body; 'too_large' as soon as it passes `cap` bytes (the rest is discarded as it arrives);
 * 'aborted' when the client goes away first.
 */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer | 'too_large' | 'aborted'> {
  // Security: refuse a declared oversized body before reading any of it.
  if (Number(req.headers['content-length'] ?? 0) > cap) return Promise.resolve('too_large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      // Security: never hold more than `cap` bytes of a body, whatever Content-Length claimed.
      if (total > cap) {
        chunks.length = 0;
        req.off('data', onData);
        req.resume();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.once('close', () => {
      resolve('aborted');
    });
    req.once('error', () => {
      resolve('aborted');
    });
  });
}

function refuse(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  logger: Logger,
  headers: Record<string, string> = {},
): void {
  const line = `http: ${status} ${message}`;
  if (status === 401 || status === 403) logger.warn(line);
  else logger.debug(line);
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
