/** `isolated-pymcp serve`: the MCP server, over stdio (default) or Streamable HTTP (`--http`). */
import { createLogger, type Logger } from '../shared/log.js';
import { connectionDeps, createRuntime } from '../server/runtime.js';
import { PymcpError } from '../shared/errors.js';
import { HTTP_DEFAULTS, type HttpFlags } from './http-options.js';
import { configFromFlags, type SandboxFlags } from './options.js';

export interface ServeFlags extends SandboxFlags, HttpFlags {}

export async function serveCommand(flags: ServeFlags): Promise<number> {
  if (flags.http === true) return serveHttpCommand(flags);
  const { config, workspaceIsDefault } = configFromFlags(flags);
  const logger = createLogger(config.logLevel);
  // The runtime's processes first (the Python probe, the first sandbox), then the MCP modules,
  // which load while those run. The other way round, the modules' evaluation (tens of ms of the
  // one JavaScript thread) held back their spawn.
  let spawned = (): void => undefined;
  const processesSpawned = new Promise<void>((resolve) => (spawned = resolve));
  const starting = createRuntime(config, logger, { workspaceIsDefault, spawned });
  starting.catch(() => undefined);
  await Promise.race([
    processesSpawned,
    starting.then(
      () => undefined,
      () => undefined,
    ),
  ]);
  const [loaded, started] = await Promise.allSettled([import('../server/stdio.js'), starting]);
  if (started.status === 'rejected') throw started.reason;
  const runtime = started.value;
  if (loaded.status === 'rejected') {
    await runtime.close();
    throw loaded.reason;
  }
  const { serveStdio } = loaded.value;
  const stop = (): void => {
    void runtime.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await serveStdio(runtime, logger);
  } finally {
    await runtime.close();
  }
  return 0;
}

async function serveHttpCommand(flags: ServeFlags): Promise<number> {
  // Loaded here, so that serving stdio does not pay for the HTTP stack at start-up.
  const { assertLoopback, resolveToken, serveHttp, TOKEN_ENV } = await import('../server/http.js');
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
  const { config, workspaceIsDefault } = configFromFlags(flags);
  const logger = createLogger(config.logLevel);
  const starting = createRuntime(config, logger, { workspaceIsDefault });
  starting.catch(() => undefined);
  const [{ createServer }, { LSP_START_DELAY_MS }, { maxRequestBytes }] = await Promise.all([
    import('../server/create-server.js'),
    import('../server/stdio.js'),
    import('../server/request-limits.js'),
  ]);
  const runtime = await starting;
  let http;
  try {
    http = await serveHttp({
      host,
      port,
      token,
      maxBodyBytes: maxRequestBytes(config.limits.codeBytes),
      connect: (connectionId) => createServer({ ...connectionDeps(runtime, logger), connectionId }),
      logger,
      maxSessions: flags.maxHttpSessions ?? HTTP_DEFAULTS.maxSessions,
      idleMs: (flags.httpIdle ?? HTTP_DEFAULTS.idleSeconds) * 1000,
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  if (generated) process.stderr.write(`isolated-pymcp: HTTP token: ${token}\n`);
  process.stderr.write(`isolated-pymcp: serving MCP on ${http.url}\n`);
  runtime.startCodeIntelSoon(LSP_START_DELAY_MS);
  await stopSignal(logger);
  await http.close();
  await runtime.close();
  return 0;
}

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info(`${signal}: shutting down`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
