/**
 * The MCP server for one connection: createServer(config, deps) -> { server, close }. The
 * executor (and its sandboxes) is shared by all connections; sessions belong to one.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import type { PythonEnvironment } from '../shared/python-environment.js';
import { VERSION } from '../shared/version.js';
import { LazySchemaValidator } from './lazy-schema-validator.js';
import type { Executor } from '../sandbox/executor.js';
import { registerRunPythonCode } from './tools/run-python-code.js';
import { registerSessionTools } from './tools/sessions.js';
import { registerSessionFileTools } from './tools/session-files.js';
import { registerSessionResources } from './session-resources.js';
import { SessionFiles } from './session-files.js';
import { registerListPackages } from './tools/list-packages.js';
import { registerAnalyzeAlgorithm } from './tools/analyze-algorithm.js';
import type { CodeIntelSource } from './tools/lsp-common.js';
import { registerDiagnosticsTools } from './tools/lsp-diagnostics.js';
import { registerNavigationTools } from './tools/lsp-navigation.js';
import { registerRenameTool } from './tools/lsp-rename.js';
import { registerSymbolTools } from './tools/lsp-symbols.js';
import { ToolRegistry, type ToolCallObserver } from './tools/tool-registry.js';

export const SERVER_NAME = 'isolated-pymcp';

export interface ServerDeps {
  config: Config;
  executor: Executor;
  /** The Python environment every sandbox runs (a venv, or the system's). */
  environment: PythonEnvironment;
  hasWorkspace: boolean;
  /** Identifies the connection; sessions it creates are visible to it alone. */
  connectionId: string;
  /** The language server behind the lsp_* tools, or why there is none. */
  codeIntel: CodeIntelSource;
  /** Host workspace directory, or null. */
  workspace: string | null;
  /** Where internal errors of tool calls are logged in full (stderr). */
  logger: Logger;
  /** Told of every tool call this connection answers (the HTTP server's metrics). */
  onToolCall?: ToolCallObserver | undefined;
  /** Aborted when the server stops draining: the calls still running are cancelled. */
  shutdown?: AbortSignal | undefined;
}

export interface ServerHandle {
  server: McpServer;
  /** Close the connection's sessions and the server. */
  close(): Promise<void>;
}

export function createServer(deps: ServerDeps): ServerHandle {
  const server = new McpServer(
    { name: SERVER_NAME, version: VERSION },
    {
      capabilities: { tools: {}, prompts: {}, resources: {} },
      jsonSchemaValidator: new LazySchemaValidator(),
      instructions:
        "Runs Python in an isolated sandbox (run_python_code; matplotlib figures come back as images, pandas tables as tables) with optional stateful sessions (create_session) whose files move in and out with upload_file, download_file and list_files (and are resources), and the project's installed packages (list_packages), and answers questions about the workspace's Python code with a real language server (lsp_* tools: diagnostics, hover, definition, references, completions, symbols, rename).",
    },
  );
  const owner = deps.connectionId;
  const tools = new ToolRegistry(server, deps.logger, {
    observe: deps.onToolCall,
    shutdown: deps.shutdown,
  });
  registerRunPythonCode(tools, { ...deps, owner });
  registerSessionTools(tools, { ...deps, owner });
  const files = new SessionFiles(deps.executor, owner);
  registerSessionFileTools(tools, files, deps.config);
  registerSessionResources(server, files);
  registerListPackages(tools, deps.environment);
  registerDiagnosticsTools(tools, deps.codeIntel, deps.config.lsp.diagnosticsWaitMs);
  registerNavigationTools(tools, deps.codeIntel);
  registerSymbolTools(tools, deps.codeIntel);
  registerRenameTool(tools, deps.codeIntel, {
    maxFileBytes: deps.config.lsp.maxFileBytes,
    allowWrite: deps.config.lsp.allowWrite,
  });
  registerAnalyzeAlgorithm(server, tools, {
    workspace: deps.workspace,
    connectInternal: () => connectInternal(deps),
  });
  let closed = false;
  return {
    server,
    async close() {
      if (closed) return;
      closed = true;
      deps.executor.closeOwner(owner);
      await server.close();
    },
  };
}

let internalConnections = 0;

/** A new connection to a new server over the same runtime, for tools that are MCP clients. */
async function connectInternal(
  deps: ServerDeps,
): Promise<{ client: Client; close(): Promise<void> }> {
  // Loaded on first use, to keep them off the start-up path.
  const [{ Client }, { InMemoryTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/inMemory.js'),
  ]);
  // Calls a tool makes internally are part of that tool's call, not calls of their own.
  const handle = createServer({
    ...deps,
    onToolCall: undefined,
    connectionId: `${deps.connectionId}/internal-${++internalConnections}`,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await handle.server.connect(serverSide);
  const client = new Client({ name: 'isolated-pymcp-internal', version: VERSION });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await handle.close();
    },
  };
}
