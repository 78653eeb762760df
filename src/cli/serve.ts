/** `isolated-pymcp serve`: the stdio MCP server. */
import { createLogger } from '../shared/log.js';
import { createRuntime } from '../server/runtime.js';
import { serveStdio } from '../server/stdio.js';
import { configFromFlags, type SandboxFlags } from './options.js';

export async function serveCommand(flags: SandboxFlags): Promise<number> {
  const { config, workspaceIsDefault } = configFromFlags(flags);
  const logger = createLogger(config.logLevel);
  const runtime = await createRuntime(config, logger, { workspaceIsDefault });
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
