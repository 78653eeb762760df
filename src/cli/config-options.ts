/**
 * The arguments, flags and help of `config`, with their defaults (stated here once). Kept apart
 * from config.ts so that registering the command loads none of its code.
 */
import { Argument, type Command } from 'commander';
import { TOKEN_ENV } from '../server/http-auth.js';

export const CLIENT_IDS = [
  'claude-code',
  'claude-desktop',
  'vscode',
  'cursor',
  'codex',
  'zed',
  'emacs',
] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

export const CONFIG_DEFAULTS = { name: 'isolated-pymcp', tokenEnv: TOKEN_ENV } as const;

export interface ConfigFlags {
  write?: boolean;
  file?: string;
  name?: string;
  workspace?: string;
  npx?: boolean;
  http?: string;
  tokenEnv?: string;
  tokenFile?: string;
  token?: string;
  allowRemote?: boolean;
  global?: boolean;
  printCommand?: boolean;
}

const HELP = `
Clients and the file --write merges into (other entries are kept; an entry of the same name is
replaced; the previous file is first copied to FILE.YYYYMMDD-HHMMSS.bak; the new one is
written to a temporary file and renamed over it; a file that does not parse is left untouched):
  claude-code     ./.mcp.json (mcpServers); --print-command prints the same as \`claude mcp add\`
  claude-desktop  claude_desktop_config.json in ~/.config/Claude, ~/Library/Application
                  Support/Claude or %APPDATA%\\Claude (stdio only)
  vscode          ./.vscode/mcp.json (servers; the HTTP token is a password input VS Code asks for)
  cursor          ./.cursor/mcp.json, or ~/.cursor/mcp.json with --global
  codex           $CODEX_HOME/config.toml, default ~/.codex/config.toml ([mcp_servers.NAME]; only
                  that table's text is replaced, the rest of the file and its comments stay)
  zed             Zed's settings.json (context_servers; comments are kept) (stdio only)
  emacs           mcp.el: --write never edits your init file; it writes mcp-server-NAME.el in
                  ~/.emacs.d (or ~/.config/emacs), which adds this server to mcp-hub-servers and
                  keeps the others; load it from your init file with (load "FILE")

Stdio (the default): the client runs this installation's bin/isolated-pymcp with this Node, by
absolute paths (run config again after moving either), or \`npx isolated-pymcp@VERSION\` with
--npx. Serve flags go after --, e.g.  config vscode -- --lsp pylsp --memory-mb 512

HTTP (--http URL of a running \`serve --http\`): the token is never written into a file; the
client reads it when it connects, from $${CONFIG_DEFAULTS.tokenEnv} or --token-env VAR (Claude Code, Cursor,
Codex), from a password prompt (VS Code), or from --token-file (Emacs).
`;

export function addConfigOptions(command: Command): Command {
  return command
    .addArgument(new Argument('<client>', 'the MCP client').choices(CLIENT_IDS))
    .argument('[serve-flags...]', 'after --: serve flags for the stdio server')
    .option('--write', 'merge into the client file (with a backup) instead of printing')
    .option('--file <path>', 'the file to write (default: the client file, see below)')
    .option('--name <name>', `server name in the client (${CONFIG_DEFAULTS.name})`)
    .option('--workspace <dir>', 'the stdio server mounts this directory (made absolute)')
    .option(
      '--npx',
      'start the server with npx isolated-pymcp@VERSION instead of this installation',
    )
    .option('--http <url>', 'use a running `serve --http` at this URL instead of stdio')
    .option(
      '--token-env <var>',
      `environment variable the client reads the token from (${CONFIG_DEFAULTS.tokenEnv})`,
    )
    .option(
      '--token-file <file>',
      'token file (mode 600): checked, and read by Emacs when connecting',
    )
    .option('--token <token>', 'refused: a token is never written into a configuration in clear')
    .option('--allow-remote', 'accept an --http URL that is not loopback (https only)')
    .option('--global', "cursor: the user's ~/.cursor/mcp.json instead of the project's")
    .option('--print-command', 'claude-code: print the `claude mcp add` command instead')
    .addHelpText('after', HELP);
}
