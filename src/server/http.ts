/**
 * Serve MCP over Streamable HTTP on loopback only. Every request passes the checks of
 * http-checks.ts in order: Host and Origin (DNS rebinding), the bearer token, the /mcp path, the
 * method, and for POST the media type, a byte-capped body, its JSON-RPC shape and the batch rule.
 * Then it goes to its MCP session: one stateful SDK transport and one createServer() per session,
 * kept by http-sessions.ts (closed on DELETE, when idle or evicted for a new one, at shutdown).
 * Beside /mcp, http-service.ts answers /healthz, /readyz and /metrics. drain() stops new sessions
 * and waits for the calls in flight, so that a SIGTERM ends the process without cutting them off.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  isInitializeRequest,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { PymcpError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { ServerHandle } from './create-server.js';
import { assertLoopback, digest } from './http-auth.js';
import { readMessage } from './http-body.js';
import { HTTP_INIT_GRACE_MS, SessionTable } from './http-sessions.js';
import {
  checkBatch,
  checkContentType,
  checkDeclaredLength,
  checkHost,
  checkInitialize,
  checkMethod,
  checkOrigin,
  checkPath,
  checkToken,
  isRefusal,
  MCP_PATH,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
  type Refusal,
} from './http-checks.js';

import {
  answerService,
  checkMetricsToken,
  checkServiceMethod,
  serviceEndpoint,
  type HttpService,
} from './http-service.js';

export {
  LOOPBACK_HOSTS,
  TOKEN_ENV,
  assertLoopback,
  digest,
  loadToken,
  resolveToken,
} from './http-auth.js';
export { MCP_PATH } from './http-checks.js';
/** Idle keep-alive time of a connection: longer than clients' own (see where it is set). */
const KEEP_ALIVE_MS = 65_000;
/** Time to receive a request's headers, and the whole request. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface HttpOptions {
  host: string;
  port: number;
  token: string;
  /** Largest POST body, in bytes. */
  maxBodyBytes: number;
  /** A new MCP server for one HTTP session; it owns that session's Python sessions. */
  connect(connectionId: string): ServerHandle;
  logger: Logger;
  /** MCP sessions open at once; past it, an idle one is closed to make room. */
  maxSessions: number;
  /** An established MCP session with no request for this long is closed. */
  idleMs: number;
  /** A session that sends nothing after initialize is closed this long after it. */
  initMs?: number;
  /** Names this server in its session ids (`NAME.<uuid>`), so a balancer routes by them. */
  replicaId?: string | null;
  /** Host authorities besides loopback:port that name this server (a balancer's, in front). */
  allowedHosts?: readonly string[];
  /** /healthz, /readyz and /metrics; without it they answer 404 like any other path. */
  service?: HttpService;
}

export interface HttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:8765/mcp. */
  url: string;
  port: number;
  /** MCP sessions open. */
  readonly sessions: number;
  readonly draining: boolean;
  /**
   * Refuse new MCP sessions from now on (readiness goes false), keep serving the open ones;
   * resolves once no call is in flight in any session.
   */
  drain(): Promise<void>;
  /** Stop listening, close every MCP session and every connection. */
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  handle: ServerHandle;
  /** The protocol version negotiated at initialize, for requests without the version header. */
  protocolVersion: string;
}

export async function serveHttp(options: HttpOptions): Promise<HttpServer> {
  assertLoopback(options.host);
  const { logger, maxBodyBytes } = options;
  const tokenDigest = digest(options.token);
  const sessions = new SessionTable<Session>({
    limits: {
      maxSessions: options.maxSessions,
      idleMs: options.idleMs,
      initMs: options.initMs ?? HTTP_INIT_GRACE_MS,
    },
    close: (session) => session.handle.close(),
    logger,
  });
  let port = options.port;
  let closing = false;
  let draining = false;
  const extraHosts = options.allowedHosts ?? [];
  const { service } = options;

  const openSession = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: { params: { protocolVersion: string } },
  ): Promise<void> => {
    // Checked again here, after the body was read: a session added after shutdown would leak.
    if (closing) {
      refuse(res, logger, SHUTTING_DOWN);
      return;
    }
    if (draining) {
      refuse(res, logger, DRAINING);
      return;
    }
    // Security: a bounded number of sessions; an idle one makes room, a busy one never does.
    if (!sessions.makeRoom()) {
      refuse(res, logger, {
        status: 503,
        code: SERVER_ERROR,
        message: `all ${options.maxSessions} MCP sessions are answering requests; try again shortly`,
        headers: { 'Retry-After': String(BUSY_RETRY_SECONDS) },
      });
      return;
    }
    const id =
      (options.replicaId ?? null) === null ? randomUUID() : `${options.replicaId}.${randomUUID()}`;
    const handle = options.connect(`http:${id}`);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
    // Set before connect(): the SDK chains its own handler after this one. After a DELETE, or
    // after the table closed the session (then this finds nothing left to close).
    transport.onclose = () => {
      sessions.close(id, 'closed by the client').catch((error: unknown) => {
        logger.warn(`http: closing session ${id} failed`, error);
      });
    };
    transport.onerror = (error) => {
      logger.debug(`http: session ${id}: ${error.message}`);
    };
    sessions.add(id, {
      transport,
      handle,
      protocolVersion: negotiatedVersion(body.params.protocolVersion),
    });
    res.once('close', sessions.begin(id, 'call'));
    try {
      await handle.server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      // The SDK refused the initialize request: nothing will ever use this session.
      if (transport.sessionId === undefined) await sessions.close(id, 'initialize refused');
      else logger.debug(`http: session ${id} opened`);
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { headers } = req;
    const endpoint = service === undefined ? null : serviceEndpoint(req.url);
    if (service !== undefined && endpoint !== null) {
      const early =
        checkHost(headers.host, port, extraHosts) ??
        checkOrigin(headers.origin, port, extraHosts) ??
        checkServiceMethod(req.method) ??
        (endpoint === 'metrics'
          ? checkMetricsToken(headers.authorization, service.metricsTokenDigest, tokenDigest)
          : null);
      if (early !== null) refuse(res, logger, early);
      else answerService(endpoint, req, res, service, draining || closing);
      return;
    }
    const refusal =
      checkHost(headers.host, port, extraHosts) ??
      checkOrigin(headers.origin, port, extraHosts) ??
      checkToken(headers.authorization, tokenDigest) ??
      checkPath(req.url) ??
      checkMethod(req.method) ??
      (closing ? SHUTTING_DOWN : null);
    if (refusal !== null) {
      refuse(res, logger, refusal);
      return;
    }
    const method = req.method;
    let body: unknown;
    if (method === 'POST') {
      const early =
        checkContentType(headers['content-type']) ??
        checkDeclaredLength(headers['content-length'], maxBodyBytes);
      const message = early ?? (await readMessage(req, maxBodyBytes));
      if (message === 'aborted') {
        logger.debug('http: the client went away mid-body');
        return;
      }
      if (isRefusal(message)) {
        refuse(res, logger, message);
        return;
      }
      body = message.body;
    }
    const sessionId = headers['mcp-session-id'];
    if (sessionId === undefined) {
      if (method === 'POST' && isInitializeRequest(body)) {
        const refusal = checkInitialize(body);
        if (refusal === null) await openSession(req, res, body);
        else refuse(res, logger, refusal);
      } else {
        refuse(res, logger, {
          status: 400,
          code: SERVER_ERROR,
          message: 'Bad Request: Mcp-Session-Id header is required',
        });
      }
      return;
    }
    const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    // Unknown, closed, expired or evicted: 404 tells the client to initialize a new session.
    if (session === undefined || typeof sessionId !== 'string') {
      refuse(res, logger, { status: 404, code: SESSION_NOT_FOUND, message: 'Session not found' });
      return;
    }
    // A batch must be allowed by the version negotiated at initialize (a header the client sets
    // per request cannot widen it) and by the version the request's header claims.
    const header = headers['mcp-protocol-version'];
    const batch =
      checkBatch(body, session.protocolVersion) ??
      (typeof header === 'string' ? checkBatch(body, header) : null);
    if (batch !== null) {
      refuse(res, logger, batch);
      return;
    }
    // A POST keeps the session busy (not evictable) until answered; a GET stream only uses it.
    if (method !== 'DELETE') {
      res.once('close', sessions.begin(sessionId, method === 'POST' ? 'call' : 'stream'));
    }
    await session.transport.handleRequest(req, res, body);
  };

  const server = createHttpServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    route(req, res).catch((error: unknown) => {
      // Never crash on a request: log it, answer if still possible.
      logger.error('http: request failed', error);
      if (!res.headersSent) refuse(res, logger, INTERNAL_ERROR);
      else res.destroy();
    });
  });
  // Idle keep-alive connections outlive the clients' own idle timeout (undici's fetch: 4 s), so
  // the client closes first. With Node's 5 s default, a client could reuse a connection the
  // server was closing at that moment, and lose the POST (no retry: tool calls are not idempotent).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // A connection that sends its headers (before any token is checked) or its body slowly holds a
  // socket only this long (Node's defaults: 60 s and 300 s), checked every second. A request's
  // body is at most a few MiB, over loopback.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
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
    get sessions() {
      return sessions.size;
    },
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
      return sessions.whenQuiet();
    },
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await sessions.closeAll('shutdown');
      server.closeAllConnections();
      await stopped;
    },
  };
}

/** How long a client refused because every session is busy is asked to wait. */
const BUSY_RETRY_SECONDS = 10;
const SHUTTING_DOWN: Refusal = {
  status: 503,
  code: SERVER_ERROR,
  message: 'the server is shutting down',
};
const DRAINING: Refusal = {
  status: 503,
  code: SERVER_ERROR,
  message: 'the server is draining before it stops and takes no new sessions; start one elsewhere',
  headers: { 'Retry-After': '5' },
};
const INTERNAL_ERROR: Refusal = { status: 500, code: -32603, message: 'Internal error' };

/**
 * The version the SDK server answers initialize with: the client's when supported, else its
 * latest (the rule of the SDK's Server._oninitialize).
 */
function negotiatedVersion(requested: string): string {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/** Answer with `refusal`: its status, and a JSON-RPC error object as the body. */
function refuse(res: ServerResponse, logger: Logger, refusal: Refusal): void {
  const line = `http: ${refusal.status} ${refusal.message}`;
  if (refusal.status === 401 || refusal.status === 403) logger.warn(line);
  else logger.debug(line);
  res.writeHead(refusal.status, { 'Content-Type': 'application/json', ...refusal.headers });
  const error = { code: refusal.code, message: refusal.message };
  res.end(JSON.stringify({ jsonrpc: '2.0', error, id: null }));
}
