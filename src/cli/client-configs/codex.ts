/**
 * Codex: `config.toml` in `$CODEX_HOME` (default `~/.codex`), one `[mcp_servers.NAME]` table:
 * `command`/`args` for stdio, `url` and `bearer_token_env_var` for Streamable HTTP (Codex reads
 * the token from that variable; it refuses a literal token in this file). Followed: Codex's MCP
 * docs (developers.openai.com/codex/mcp) and its config reference. Only our table's text is
 * replaced (toml-edit.ts), so the file's comments stay.
 */
import path from 'node:path';
import { tokenEnvNotes, type ClientConfig } from './client.js';
import type { ServerSpec } from './server-spec.js';
import { setTomlTable, tomlTable } from './toml-edit.js';

function table(spec: ServerSpec): Record<string, unknown> {
  const { launch } = spec;
  if (launch.kind === 'stdio') return { command: launch.command, args: [...launch.args] };
  return { url: launch.url, bearer_token_env_var: launch.token.env };
}

export const codex: ClientConfig = {
  title: 'Codex',
  file(where) {
    const home = where.env.CODEX_HOME;
    return path.join(
      home !== undefined && home !== ''
        ? path.resolve(where.cwd, home)
        : path.join(where.home, '.codex'),
      'config.toml',
    );
  },
  check: () => undefined,
  render: (spec) => tomlTable('mcp_servers', spec.name, table(spec)),
  merge: (current, file, spec) =>
    setTomlTable(current, file, 'mcp_servers', spec.name, table(spec)),
  notes: (spec) => tokenEnvNotes(spec, 'Codex'),
};
