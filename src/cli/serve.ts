/** `isolated-pymcp serve`: the MCP server, over stdio (default) or Streamable HTTP (`--http`). */
import { createLogger, logLine, type LogFormat } from '../shared/log.js';
import { connectionDeps, createRuntime } from '../server/runtime.js';
import { PymcpError } from '../shared/errors.js';
import type { HttpServer } from '../server/http.js';
import { HTTP_DEFAULTS, type HttpFlags } from './http-options.js';
import { configFromFlags, type SandboxFlags } from './options.js';
import { SERVICE_DEFAULTS, type ServiceFlags } from './service-options.js';

export interface ServeFlags extends SandboxFlags, HttpFlags, ServiceFlags {}

export async function serveCommand(flags: ServeFlags): Promise<number> {
  if (flags.http === true) return serveHttpCommand(flags);
  const { config, workspaceIsDefault } = configFromFlags(flags);
  const logger = createLogger(config.logLevel, undefined, flags.logFormat);
  // The runtime's processes first (the Python probe, the first sandbox), then the MCP modules,
  // which load while those run. The other way round, the modules' evaluation (tens of ms of the
  // one JavaScript thread) held back their spawn.
  let spawned = (): void => undefined;
  const processesSpawned = new Promise<void>((resolve) => (spawned = resolve));
  const starting = createRuntime(config, logger, { workspaceIsDefault, spawned });
  starting.catch(() => undefined);
  // From the first sandbox on, a SIGTERM or SIGINT closes the runtime (once it is up) and exits
  // 0, even during start-up: without a listener, Node would die of it (143) mid start-up.
  const stop = (): void => {
    void starting
      .then(
        (runtime) => runtime.close(),
        () => undefined,
      )
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await Promise.race([
    processesSpawned,
    starting.then(
      () => undefined,
      () => undefined,
    ),
  ]);
  const loading = import('../server/stdio.js');
  loading.catch(() => undefined);
  const runtime = await starting;
  try {
    const { serveStdio } = await loading;
    await serveStdio(runtime, logger);
  } finally {
    await runtime.close();
  }
  return 0;
}

async function serveHttpCommand(flags: ServeFlags): Promise<number> {
  // Loaded here, so that serving stdio does not pay for the HTTP stack at start-up.
  const [
    { assertLoopback, digest, loadToken, resolveToken, serveHttp, TOKEN_ENV },
    { drainAndClose, nextStopSignal },
  ] = await Promise.all([import('../server/http.js'), import('../server/drain.js')]);
  const host = flags.host ?? HTTP_DEFAULTS.host;
  const port = flags.port ?? HTTP_DEFAULTS.port;
  // Refuse a bad address, port or token before starting any sandbox.
  assertLoopback(host);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PymcpError(
      'config_invalid',
      `--port must be an integer from 0 to 65535, not ${port}`,
    );
  }
  const { token, generated } = await resolveToken(flags.tokenFile, process.env[TOKEN_ENV]);
  const metricsToken =
    flags.metricsTokenFile === undefined
      ? undefined
      : await loadToken(flags.metricsTokenFile, undefined);
  const { config, workspaceIsDefault } = configFromFlags(flags);
  const format = flags.logFormat ?? SERVICE_DEFAULTS.logFormat;
  const logger = createLogger(config.logLevel, undefined, format);
  // From the first sandbox on, a SIGTERM or SIGINT stops cleanly (exit 0), even one that comes
  // before the server is ready: without a listener, Node would die of it (143) mid start-up.
  const stop = nextStopSignal();
  const starting = createRuntime(config, logger, { workspaceIsDefault });
  starting.catch(() => {
    stop.cancel();
  });
  const [
    { createServer },
    { LSP_START_DELAY_MS },
    { maxRequestBytes },
    { createServiceMetrics },
    { readiness },
  ] = await Promise.all([
    import('../server/create-server.js'),
    import('../server/stdio.js'),
    import('../server/request-limits.js'),
    import('../server/service-metrics.js'),
    import('../server/health.js'),
  ]);
  const runtime = await starting;
  const early = stop.received;
  if (early !== null) {
    logger.info(`${early} during start-up: stopping before serving`);
    await runtime.close();
    return 0;
  }
  let http: HttpServer | undefined;
  const metrics = createServiceMetrics(runtime, {
    replicaId: flags.replicaId ?? null,
    draining: () => http?.draining ?? false,
    mcpSessions: () => http?.sessions ?? 0,
  });
  // Aborted when a drain ends with calls still running: they are cancelled and told why.
  const shutdown = new AbortController();
  // Listen before the server is ready, so that a probe can see it is alive but not yet ready.
  try {
    http = await serveHttp({
      host,
      port,
      token,
      maxBodyBytes: maxRequestBytes(config.limits.codeBytes),
      connect: (connectionId) =>
        createServer({
          ...connectionDeps(runtime, logger),
          connectionId,
          onToolCall: metrics.onToolCall,
          shutdown: shutdown.signal,
        }),
      logger,
      maxSessions: flags.maxHttpSessions ?? HTTP_DEFAULTS.maxSessions,
      idleMs: (flags.httpIdle ?? HTTP_DEFAULTS.idleSeconds) * 1000,
      replicaId: flags.replicaId ?? null,
      allowedHosts: flags.allowedHost ?? [],
      service: {
        readiness: (draining) => readiness(runtime, draining),
        metrics: metrics.registry,
        metricsTokenDigest: metricsToken === undefined ? null : digest(metricsToken),
      },
    });
  } catch (error) {
    stop.cancel();
    await runtime.close();
    throw error;
  }
  if (generated) announce(format, `HTTP token: ${token}`);
  announce(format, `serving MCP on ${http.url}`);
  runtime.startCodeIntelSoon(LSP_START_DELAY_MS);
  const signal = await stop.signal;
  await drainAndClose(http, () => runtime.close(), {
    deadlineMs: (flags.drainSeconds ?? SERVICE_DEFAULTS.drainSeconds) * 1000,
    logger,
    signal,
    cancelCalls: () => {
      shutdown.abort();
    },
  });
  return 0;
}

/** A line the user must see whatever the log level: the address, a generated token. */
function announce(format: LogFormat, message: string): void {
  process.stderr.write(
    format === 'json' ? logLine('json', 'info', message) : `isolated-pymcp: ${message}\n`,
  );
}
