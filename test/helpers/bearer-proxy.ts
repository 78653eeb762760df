/**
 * A loopback reverse proxy that adds `Authorization: Bearer TOKEN` to every request, for clients
 * that cannot send headers (the MCP conformance suite). Like any reverse proxy it presents its
 * own authority to the server as the server's: a Host or Origin naming the proxy is rewritten to
 * name the server, and any other Host or Origin (a DNS-rebinding probe) passes through unchanged,
 * for the server to refuse.
 */
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';

export interface BearerProxy {
  /** The MCP endpoint through the proxy. */
  url: string;
  close(): Promise<void>;
}

export async function startBearerProxy(upstreamPort: number, token: string): Promise<BearerProxy> {
  const agent = new Agent({ keepAlive: false });
  let port = 0;
  const rewrite = (headers: IncomingHttpHeaders): IncomingHttpHeaders => {
    const own = (value: string | undefined, prefix: string): string | undefined =>
      value === `${prefix}127.0.0.1:${port}` || value === `${prefix}localhost:${port}`
        ? value.replace(`:${port}`, `:${upstreamPort}`)
        : value;
    return {
      ...headers,
      host: own(headers.host, ''),
      origin: own(headers.origin, 'http://'),
      authorization: `Bearer ${token}`,
    };
  };
  const server = createServer((req, res) => {
    const headers = rewrite(req.headers);
    if (headers.origin === undefined) delete headers.origin;
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    // The client hung up (closed an SSE stream): hang up upstream too, as the client would have.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  port = address.port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
