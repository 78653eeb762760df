/**
 * The MCP server for one connection: createServer(config, deps) -> { server, close }. The
 * executor (and its sandboxes) is shared by all connections; sessions belong to one.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Config } from '../shared/config.js';
import type { Executor } from '../sandbox/executor.js';
import { registerRunPythonCode } from './tools/run-python-code.js';
import { registerSessionTools } from './tools/sessions.js';

export const SERVER_NAME = 'isolated-pymcp';
export const SERVER_VERSION = '0.1.0';

export interface ServerDeps {
  config: Config;
  executor: Executor;
  pythonVersion: string;
  hasWorkspace: boolean;
  /** Identifies the connection; sessions it creates are visible to it alone. */
  connectionId: string;
}

export interface ServerHandle {
  server: McpServer;
  /** Close the connection's sessions and the server. */
  close(): Promise<void>;
}

export function createServer(deps: ServerDeps): ServerHandle {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Runs Python in an isolated sandbox (run_python_code) with optional stateful sessions (create_session).',
    },
  );
  const owner = deps.connectionId;
  registerRunPythonCode(server, { ...deps, owner });
  registerSessionTools(server, { ...deps, owner });
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
