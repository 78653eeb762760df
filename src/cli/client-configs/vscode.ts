/**
 * VS Code: the workspace's `.vscode/mcp.json` (JSON with comments): `servers` of
 * `{type: "stdio", command, args}` or `{type: "http", url, headers}`, and `inputs` for secrets.
 * Followed: VS Code's "MCP configuration reference" (code.visualstudio.com/docs/copilot/
 * reference/mcp-configuration). The token is an input of type `promptString` with
 * `password: true`: VS Code asks for it once and keeps it in its secret storage; the file holds
 * only `${input:ID}`, so it can be committed.
 */
import path from 'node:path';
import { JsonDocument } from './json-edit.js';
import type { ClientConfig } from './client.js';
import type { ServerSpec } from './server-spec.js';

function inputId(spec: ServerSpec): string {
  return `${spec.name}-token`;
}

function entry(spec: ServerSpec): Record<string, unknown> {
  const { launch } = spec;
  if (launch.kind === 'stdio')
    return { type: 'stdio', command: launch.command, args: [...launch.args] };
  return {
    type: 'http',
    url: launch.url,
    headers: { Authorization: `Bearer \${input:${inputId(spec)}}` },
  };
}

function input(spec: ServerSpec): Record<string, unknown> | null {
  if (spec.launch.kind !== 'http') return null;
  return {
    type: 'promptString',
    id: inputId(spec),
    description: `Bearer token of the ${spec.name} MCP server (serve --http)`,
    password: true,
  };
}

export const vscode: ClientConfig = {
  title: 'VS Code',
  file: (where) => path.join(where.cwd, '.vscode', 'mcp.json'),
  check: () => undefined,
  render(spec) {
    const prompt = input(spec);
    const file = {
      ...(prompt !== null && { inputs: [prompt] }),
      servers: { [spec.name]: entry(spec) },
    };
    return `${JSON.stringify(file, null, 2)}\n`;
  },
  merge(current, file, spec) {
    const document = JsonDocument.parse(current, file, 'jsonc');
    const prompt = input(spec);
    if (prompt !== null) document.upsert(['inputs'], 'id', prompt);
    const replaced = document.set(['servers', spec.name], entry(spec));
    return { text: document.toString(), replaced };
  },
  notes: (spec) =>
    spec.launch.kind === 'http'
      ? [
          `VS Code asks for the token (input "${inputId(spec)}") when it first starts the server, and keeps it in its secret storage`,
        ]
      : [],
};
