/**
 * What every entry point shares: the sandbox factory and the executor, started once per process.
 */
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { Executor } from '../sandbox/executor.js';
import { createSandboxFactory, type SandboxFactory } from '../sandbox/sandbox-factory.js';

export interface Runtime {
  config: Config;
  factory: SandboxFactory;
  executor: Executor;
  close(): Promise<void>;
}

export async function createRuntime(
  config: Config,
  logger: Logger,
  options: { workspaceIsDefault?: boolean } = {},
): Promise<Runtime> {
  const factory = await createSandboxFactory(config, logger, options);
  const executor = new Executor(config, () => factory.start(), logger);
  executor.start();
  logger.debug(
    `sandbox ready: python ${factory.python.version} (${factory.python.executable}), workspace ${factory.spec.workspace ?? 'none'}`,
  );
  return { config, factory, executor, close: () => executor.close() };
}
