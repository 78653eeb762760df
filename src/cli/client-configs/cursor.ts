/**
 * Cursor: `.cursor/mcp.json` in the project, or `~/.cursor/mcp.json` with --global;
 * `mcpServers` of `{command, args, env}` or `{url, headers}`. Followed: Cursor's MCP docs
 * (cursor.com/docs/mcp), "Configuration locations" and "Config interpolation": `${env:NAME}` is
 * resolved in command, args, env, url and headers, so the token is referenced, not written.
 */
import path from 'node:path';
import { jsonClient } from './client.js';

export const cursor = jsonClient({
  title: 'Cursor',
  key: 'mcpServers',
  dialect: 'json',
  file: (where) => path.join(where.global ? where.home : where.cwd, '.cursor', 'mcp.json'),
  entry(spec) {
    const { launch } = spec;
    if (launch.kind === 'stdio') return { command: launch.command, args: [...launch.args] };
    return { url: launch.url, headers: { Authorization: `Bearer \${env:${launch.token.env}}` } };
  },
});
