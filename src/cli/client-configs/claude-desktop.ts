/**
 * Claude Desktop: `claude_desktop_config.json` in the app's settings directory
 * (`~/Library/Application Support/Claude/` on macOS, `%APPDATA%\Claude\` on Windows,
 * `~/.config/Claude/` on Linux builds), `mcpServers` of `{command, args, env}`. Followed: the MCP
 * quickstart for users (modelcontextprotocol.io, "Connect to local MCP servers"). The file
 * describes local (stdio) servers only: remote servers are added as connectors in the app's
 * settings, which authenticate with OAuth, not a bearer token, so --http is refused.
 */
import path from 'node:path';
import { jsonClient, stdioOnly, userConfigDir } from './client.js';

export const claudeDesktop = jsonClient({
  title: 'Claude Desktop',
  key: 'mcpServers',
  dialect: 'json',
  file: (where) => path.join(userConfigDir(where), 'Claude', 'claude_desktop_config.json'),
  ...stdioOnly(
    'Claude Desktop',
    'claude_desktop_config.json starts local (stdio) servers only and cannot send a bearer token to a URL (its remote connectors use OAuth)',
  ),
  notes: (spec) =>
    spec.launch.kind === 'stdio' && !spec.launch.args.includes('--workspace')
      ? [
          'Claude Desktop does not start servers in a project directory: pass --workspace DIR to choose the directory the code sees',
        ]
      : [],
});
