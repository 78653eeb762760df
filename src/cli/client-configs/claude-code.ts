/**
 * Claude Code: the project's `.mcp.json` (`mcpServers`; `type` `stdio` or `http`), and the
 * equivalent `claude mcp add --scope project` command. Followed: Claude Code's MCP docs
 * (code.claude.com/docs/en/mcp), "Project scope" and "Environment variable expansion in
 * .mcp.json": `${VAR}` is expanded in command, args, env, url and headers, so the token is
 * referenced as `Bearer ${VAR}` and the file can be committed.
 */
import path from 'node:path';
import { jsonClient } from './client.js';
import type { ServerSpec } from './server-spec.js';

function claudeCodeEntry(spec: ServerSpec): Record<string, unknown> {
  const { launch } = spec;
  if (launch.kind === 'stdio') {
    return { type: 'stdio', command: launch.command, args: [...launch.args] };
  }
  return {
    type: 'http',
    url: launch.url,
    headers: { Authorization: `Bearer \${${launch.token.env}}` },
  };
}

export const claudeCode = jsonClient({
  title: 'Claude Code',
  key: 'mcpServers',
  dialect: 'json',
  file: (where) => path.join(where.cwd, '.mcp.json'),
  entry: claudeCodeEntry,
});

/** One shell word: left bare when safe, else single-quoted (so `${VAR}` reaches claude as is). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `claude mcp add`, writing the same entry into the project's .mcp.json. */
export function claudeMcpAdd(spec: ServerSpec): string {
  const { launch } = spec;
  const add = ['claude', 'mcp', 'add', '--scope', 'project', '--transport', launch.kind, spec.name];
  const words =
    launch.kind === 'stdio'
      ? [...add, '--', launch.command, ...launch.args]
      : [...add, launch.url, '--header', `Authorization: Bearer \${${launch.token.env}}`];
  return words.map(shellWord).join(' ');
}
