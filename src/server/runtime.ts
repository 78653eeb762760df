/**
 * What every entry point shares, started once per process: the sandbox factory and executor
 * (capability A) and the language server (capability B), which starts in the background.
 */
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { Executor } from '../sandbox/executor.js';
import { createSandboxFactory, type SandboxFactory } from '../sandbox/sandbox-factory.js';
import { createCodeIntel, type CodeIntelHandle } from '../lsp/lsp-factory.js';

export interface Runtime {
  config: Config;
  factory: SandboxFactory;
  executor: Executor;
  /** The language server, or why there is none. */
  codeIntel: CodeIntelHandle | { unavailable: string };
  close(): Promise<void>;
}

export async function createRuntime(
  config: Config,
  logger: Logger,
  options: { workspaceIsDefault?: boolean; withLsp?: boolean } = {},
): Promise<Runtime> {
  const factory = await createSandboxFactory(config, logger, options);
  const executor = new Executor(config, () => factory.start(), logger);
  executor.start();
  const { spec } = factory;
  const codeIntel =
    options.withLsp === false
      ? { unavailable: 'not started for this command' }
      : await createCodeIntel(
          config,
          {
            bwrap: spec.bwrap,
            layout: spec.layout,
            hostIds: spec.hostIds,
            python: spec.python,
            workspace: spec.workspace,
          },
          logger,
        );
  if ('unavailable' in codeIntel) logger.debug(`code intelligence off: ${codeIntel.unavailable}`);
  logger.debug(
    `sandbox ready: python ${factory.python.version} (${factory.python.executable}), workspace ${spec.workspace ?? 'none'}`,
  );
  return {
    config,
    factory,
    executor,
    codeIntel,
    close: async () => {
      await Promise.all([executor.close(), 'close' in codeIntel ? codeIntel.close() : undefined]);
    },
  };
}
