/** Builds the language-server side: client, documents and the CodeIntel service. */
import type { HostLayout } from '../shared/bwrap.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import type { PythonEnvironment } from '../shared/python-environment.js';
import type { PythonRuntime } from '../shared/python-runtime.js';
import { CodeIntel } from './code-intel.js';
import { DocumentStore } from './documents.js';
import { LspClient } from './lsp-client.js';
import { locateServer, type ServerLaunch } from './servers.js';

export interface LspEnvironment {
  bwrap: string;
  /** util-linux's prlimit, or null (shared/start-limits.ts): found once, by the sandbox factory. */
  prlimit: string | null;
  layout: HostLayout;
  hostIds: { uid: number; gid: number } | null;
  /** The host-trusted interpreter: runs pylsp. */
  python: PythonRuntime;
  /** The environment the code runs (a venv, or the system's): what imports resolve against. */
  environment: PythonEnvironment;
  workspace: string | null;
}

export interface CodeIntelHandle {
  intel: CodeIntel;
  client: LspClient;
  launch: ServerLaunch;
  /** Host directory the server analyses, or null (snippets only). */
  workspace: string | null;
  allowWrite: boolean;
  close(): Promise<void>;
}

/** Create and start (in the background) the configured language server; null when disabled. */
export async function createCodeIntel(
  config: Config,
  env: LspEnvironment,
  logger: Logger,
): Promise<CodeIntelHandle | { unavailable: string }> {
  const kind = config.lsp.server;
  if (kind === 'off') return { unavailable: 'the language server is disabled (--lsp off)' };
  const found = await locateServer(kind, env.python, env.hostIds);
  if (!found.available) return { unavailable: found.reason };
  const client = new LspClient({
    bwrap: env.bwrap,
    layout: env.layout,
    hostIds: env.hostIds,
    environment: env.environment,
    workspace: env.workspace,
    launch: found.launch,
    prlimit: env.prlimit,
    logger,
    startTimeoutMs: 60_000,
    requestTimeoutMs: config.lsp.requestTimeoutMs,
    maxMessageBytes: config.lsp.maxMessageBytes,
    scratchBytes: 256 * 1024 * 1024,
  });
  const store = new DocumentStore(client, env.workspace, config.lsp.maxFileBytes);
  client.start();
  return {
    intel: new CodeIntel(client, store),
    client,
    launch: found.launch,
    workspace: env.workspace,
    allowWrite: config.lsp.allowWrite,
    close: () => client.close(),
  };
}
