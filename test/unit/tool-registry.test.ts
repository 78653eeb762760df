import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createLogger } from '../../src/shared/log.js';
import { ToolRegistry, typedResult } from '../../src/server/tools/tool-registry.js';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, openWorldHint: false };
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server with one tool answering `result`, and a real Client connected to it. */
async function serve(result: () => CallToolResult): Promise<Client> {
  const server = new McpServer({ name: 'test', version: '0.0.0' }, { capabilities: { tools: {} } });
  const tools = new ToolRegistry(server, createLogger('error'));
  tools.register(
    'answer',
    {
      title: 'Answer',
      description: 'Answers what the test gives it.',
      inputSchema: { n: z.number().int().optional().describe('A number') },
      annotations: READ_ONLY,
    },
    () => result(),
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test-client', version: '0.0.0' });
  await client.connect(clientSide);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

describe('ToolRegistry: tools/call results', () => {
  test('a result that is not a CallToolResult (an image whose data is not base64, as a hostile sandbox could send) is a JSON-RPC error, never sent', async () => {
    const client = await serve(() => ({
      content: [{ type: 'image', data: 'not base64 at all!', mimeType: 'image/png' }],
    }));
    await expect(client.callTool({ name: 'answer', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Invalid tools/call result'),
    });
  });

  test('a checked result goes out as the schema parsed it (unknown keys of a content item dropped)', async () => {
    const client = await serve(() => ({
      content: [
        { type: 'text', text: 'hello', extra: 'dropped' } as { type: 'text'; text: string },
      ],
    }));
    const result = await client.callTool({ name: 'answer', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'hello' }]);
  });

  test('a typedResult goes out as made: its text and structured content', async () => {
    const client = await serve(() => typedResult('body', { found: true, items: [1, 2] }));
    const result = await client.callTool({ name: 'answer', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'body' }]);
    expect(result.structuredContent).toEqual({ found: true, items: [1, 2] });
  });

  test('a request the SDK cannot parse (arguments not an object) is still refused before any tool runs', async () => {
    let ran = false;
    const client = await serve(() => {
      ran = true;
      return typedResult('ran', {});
    });
    await expect(
      client.request(
        {
          method: 'tools/call',
          params: { name: 'answer', arguments: 'text' as unknown as object },
        },
        z.object({}).loose(),
      ),
    ).rejects.toThrow();
    expect(ran).toBe(false);
  });
});
