/**
 * The endpoints beside /mcp that make `serve --http` a service: /healthz (live), /readyz (ready
 * for new sessions) and /metrics (Prometheus text). All three pass the Host and Origin checks
 * first, like /mcp. The two probes need no token: they say only "ok" or which check is not yet
 * met, and a probe (a kubelet, a load balancer) should not hold the token that runs code.
 * /metrics needs a bearer token: the metrics token when one is set (so the scraper never holds
 * the token that runs code), else the MCP token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorized } from './http-auth.js';
import { SERVER_ERROR, type Refusal } from './http-checks.js';
import type { Readiness } from './health.js';
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from './metrics.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

export type ServiceEndpoint = 'health' | 'ready' | 'metrics';

export interface HttpService {
  /** Whether the server can take new sessions; `draining` is the HTTP server's own state. */
  readiness(draining: boolean): Readiness;
  /** Null: /metrics answers 404. */
  metrics: MetricsRegistry | null;
  /** SHA-256 of the token /metrics takes; null: the MCP token. */
  metricsTokenDigest: Buffer | null;
}

/** Which service endpoint a request path names, if any (the query string is ignored). */
export function serviceEndpoint(url: string | undefined): ServiceEndpoint | null {
  switch ((url ?? '').split('?')[0]) {
    case HEALTH_PATH:
      return 'health';
    case READY_PATH:
      return 'ready';
    case METRICS_PATH:
      return 'metrics';
    default:
      return null;
  }
}

export function checkServiceMethod(method: string | undefined): Refusal | null {
  if (method === 'GET' || method === 'HEAD') return null;
  return {
    status: 405,
    code: SERVER_ERROR,
    message: 'Method not allowed',
    headers: { Allow: 'GET, HEAD' },
  };
}

export function checkMetricsToken(
  authorization: string | undefined,
  metricsDigest: Buffer | null,
  mcpDigest: Buffer,
): Refusal | null {
  // Security: metrics name tools and load; only a scraper holding the (metrics) token reads them.
  if (authorized(authorization, metricsDigest ?? mcpDigest)) return null;
  return {
    status: 401,
    code: SERVER_ERROR,
    message: 'Unauthorized: /metrics needs the metrics bearer token',
    headers: { 'WWW-Authenticate': 'Bearer' },
  };
}

/** Answer a service endpoint whose checks passed. */
export function answerService(
  endpoint: ServiceEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
  service: HttpService,
  draining: boolean,
): void {
  const head = req.method === 'HEAD';
  const send = (status: number, type: string, body: string): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(head ? undefined : body);
  };
  switch (endpoint) {
    case 'health':
      // Live: this process answers HTTP. Draining changes nothing here: it is still alive.
      send(200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    case 'ready': {
      const state = service.readiness(draining);
      send(state.ready ? 200 : 503, 'application/json', `${JSON.stringify(state)}\n`);
      return;
    }
    case 'metrics':
      if (service.metrics === null) send(404, 'text/plain; charset=utf-8', 'no metrics\n');
      else send(200, METRICS_CONTENT_TYPE, service.metrics.render());
      return;
    default: {
      const unreachable: never = endpoint;
      throw new Error(`unknown endpoint ${String(unreachable)}`);
    }
  }
}
