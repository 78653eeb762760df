/**
 * What every entry point shares, started once per process: the sandbox factory and executor
 * (capability A) and the language server (capability B). The language server's modules and
 * process start in the background, after start-up, or at its first use, whichever comes first:
 * start-up (spawn -> first result) does not pay for them.
 */
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { errorMessage } from '../shared/errors.js';
import { describeEnvironment } from '../shared/python-environment.js';
import { Executor } from '../sandbox/executor.js';
import { createSandboxFactory, type SandboxFactory } from '../sandbox/sandbox-factory.js';
import type { CodeIntelHandle } from '../lsp/lsp-factory.js';
import type { ServerDeps } from './create-server.js';

export type CodeIntelState = CodeIntelHandle | { unavailable: string };

export interface Runtime {
  config: Config;
  factory: SandboxFactory;
  executor: Executor;
  /** The language server, started on first call (or by startCodeIntelSoon), or why there is none. */
  codeIntel(): Promise<CodeIntelState>;
  /** The language server as it is now, without starting it. */
  codeIntelStatus(): CodeIntelState | 'not_started' | 'starting';
  /** Start the language server in the background after `delayMs`. */
  startCodeIntelSoon(delayMs: number): void;
  close(): Promise<void>;
}

export async function createRuntime(
  config: Config,
  logger: Logger,
  options: { workspaceIsDefault?: boolean; withLsp?: boolean; spawned?: () => void } = {},
): Promise<Runtime> {
  // The pool takes the first sandbox at once (executor.start below), so it may start early.
  const factory = await createSandboxFactory(config, logger, {
    ...options,
    startEarly: config.poolSize > 0,
  });
  const executor = new Executor(config, () => factory.start(), logger);
  executor.start();
  const { spec } = factory;
  let started: Promise<CodeIntelState> | null = null;
  let settled: CodeIntelState | null = null;
  let timer: NodeJS.Timeout | null = null;
  const codeIntel = (): Promise<CodeIntelState> => {
    if (timer !== null) clearTimeout(timer);
    if (started !== null) return started;
    started =
      options.withLsp === false
        ? Promise.resolve({ unavailable: 'not started for this command' })
        : import('../lsp/lsp-factory.js')
            .then(({ createCodeIntel }) =>
              createCodeIntel(
                config,
                {
                  bwrap: spec.bwrap,
                  prlimit: spec.prlimit,
                  layout: spec.layout,
                  hostIds: spec.hostIds,
                  python: factory.python,
                  environment: factory.environment,
                  workspace: spec.workspace,
                },
                logger,
              ),
            )
            .then((state) => {
              if ('unavailable' in state)
                logger.debug(`code intelligence off: ${state.unavailable}`);
              return state;
            });
    started.then(
      (state) => {
        settled = state;
      },
      (error: unknown) => {
        settled = { unavailable: `the language server did not start: ${errorMessage(error)}` };
      },
    );
    return started;
  };
  logger.debug(
    `sandbox ready: ${describeEnvironment(factory.environment)}, workspace ${spec.workspace ?? 'none'}`,
  );
  return {
    config,
    factory,
    executor,
    codeIntel,
    codeIntelStatus: () => settled ?? (started === null ? 'not_started' : 'starting'),
    startCodeIntelSoon(delayMs) {
      if (started !== null || timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        void codeIntel();
      }, delayMs);
    },
    close: async () => {
      if (timer !== null) clearTimeout(timer);
      const state = started === null ? null : await started.catch(() => null);
      await Promise.all([
        executor.close(),
        state !== null && 'close' in state ? state.close() : undefined,
      ]);
    },
  };
}

/** What every connection's MCP server gets from the runtime: all but its own id. */
export function connectionDeps(runtime: Runtime, logger: Logger): Omit<ServerDeps, 'connectionId'> {
  return {
    config: runtime.config,
    executor: runtime.executor,
    environment: runtime.factory.environment,
    hasWorkspace: runtime.factory.spec.workspace !== null,
    codeIntel: () => runtime.codeIntel(),
    workspace: runtime.factory.spec.workspace,
    logger,
  };
}
