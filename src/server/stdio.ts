/** Serve MCP over stdin/stdout until the client closes stdin or the process is told to stop. */
import type { Logger } from '../shared/log.js';
import { createServer } from './create-server.js';
import { maxRequestBytes } from './request-limits.js';
import { connectionDeps, type Runtime } from './runtime.js';
import { BoundedStdioTransport } from './stdio-transport.js';

/** How long after start-up the language server is started, unless used earlier. */
export const LSP_START_DELAY_MS = 300;

export async function serveStdio(runtime: Runtime, logger: Logger): Promise<void> {
  const handle = createServer({ ...connectionDeps(runtime, logger), connectionId: 'stdio' });
  const transport = new BoundedStdioTransport(
    process.stdin,
    process.stdout,
    maxRequestBytes(runtime.config.limits.codeBytes),
  );
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  transport.onerror = (error) => {
    logger.warn(`stdio: ${error.message}`);
  };
  await handle.server.connect(transport);
  logger.info('serving MCP on stdio');
  // The language server starts once the first answers are out of the way (or at first use).
  runtime.startCodeIntelSoon(LSP_START_DELAY_MS);
  await closed;
  await handle.close();
}
