/**
 * The analysis reaches the server the way an assistant does: the SDK Client over stdio to a
 * spawned `isolated-pymcp serve` (or over Streamable HTTP to a running server with `url`).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { packageFile } from '../shared/package-root.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export function binPath(): string {
  return packageFile('bin', 'isolated-pymcp');
}

export interface Connection {
  client: Client;
  close(): Promise<void>;
}

/** Spawn the server with this workspace and connect to it over stdio. */
export async function spawnServer(
  workspace: string,
  extraArgs: readonly string[],
): Promise<Connection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      binPath(),
      'serve',
      '--workspace',
      workspace,
      '--log-level',
      'warn',
      '--pool-size',
      '1',
      ...extraArgs,
    ],
    // The server builds every sandbox's environment from nothing; it needs only PATH itself.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'isolated-pymcp-analyze', version: '0.1.0' });
  await client.connect(transport);
  return { client, close: () => client.close() };
}

/** Connect over Streamable HTTP to a running `isolated-pymcp serve --http`, with its bearer token. */
export async function connectUrl(url: string, token: string): Promise<Connection> {
  const { StreamableHTTPClientTransport } =
    await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'isolated-pymcp-analyze', version: '0.1.0' });
  await client.connect(transport);
  return {
    client,
    close: async () => {
      // End the MCP session on the server (DELETE) so its Python sessions close now, not on idle.
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}
