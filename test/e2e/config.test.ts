/**
 * `isolated-pymcp config CLIENT` through the built CLI: each client's file, written into a
 * temporary home and project, parses and matches that client's documented format, keeps what
 * was there (comments included), leaves a backup, refuses a broken file without touching it,
 * never holds the token; and the stdio command it writes really starts a server that answers.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClientId } from '../../src/cli/config-options.js';
import { runCli } from '../helpers/cli.js';
import {
  emacsEntry,
  emacsServer,
  parseClientFile,
  parseJsonFile,
  vscodeFile,
} from '../helpers/client-schemas.js';

let root: string;
let home: string;
let project: string;
const env = (): Record<string, string> => ({ HOME: home });

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pymcp-config-'));
  home = path.join(root, 'home');
  project = path.join(root, 'project');
  mkdirSync(home);
  mkdirSync(project);
  // Security of the test itself: the sandbox runs as uid 65534 and must read the workspace.
  chmodSync(root, 0o755);
  chmodSync(project, 0o755);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

interface Case {
  client: ClientId;
  file: () => string;
  /** An existing file with an unrelated server (and comments where the format has them). */
  existing: string;
  /** The parsed file -> this server's entry (command/args) and whether the other one is kept. */
  read(text: string): { entry: { command: string; args: string[] }; otherKept: boolean };
}

/** A client whose file holds its servers in one table under `key`. */
function serversCase(client: ClientId, file: () => string, key: string, existing: string): Case {
  return {
    client,
    file,
    existing,
    read(text) {
      const value = parseClientFile(client, text) as Record<string, Record<string, unknown>>;
      const servers = value[key] ?? {};
      return {
        entry: servers['isolated-pymcp'] as { command: string; args: string[] },
        otherKept: (servers.other as { command?: string } | undefined)?.command === 'other-server',
      };
    },
  };
}

function jsonCase(client: ClientId, file: () => string, key: string, jsonc = false): Case {
  return serversCase(
    client,
    file,
    key,
    `${jsonc ? '// my settings\n' : ''}{\n  "${key}": {\n    "other": { ${client === 'vscode' ? '"type": "stdio", ' : ''}"command": "other-server", "args": [] }${jsonc ? ' // keep this comment' : ''}\n  }\n}\n`,
  );
}

const CASES: Case[] = [
  jsonCase('claude-code', () => path.join(project, '.mcp.json'), 'mcpServers'),
  jsonCase(
    'claude-desktop',
    () => path.join(home, '.config', 'Claude', 'claude_desktop_config.json'),
    'mcpServers',
  ),
  jsonCase('vscode', () => path.join(project, '.vscode', 'mcp.json'), 'servers', true),
  jsonCase('cursor', () => path.join(project, '.cursor', 'mcp.json'), 'mcpServers'),
  jsonCase(
    'zed',
    () => path.join(home, '.config', 'zed', 'settings.json'),
    'context_servers',
    true,
  ),
  serversCase(
    'codex',
    () => path.join(home, '.codex', 'config.toml'),
    'mcp_servers',
    '# my codex config\nmodel = "o3" # keep this comment\n\n[mcp_servers.other]\ncommand = "other-server"\nargs = []\n',
  ),
  {
    client: 'emacs',
    file: () => path.join(home, '.emacs.d', 'mcp-server-isolated-pymcp.el'),
    existing: '',
    read(text) {
      const { name, plist } = emacsServer(text);
      expect(name).toBe('isolated-pymcp');
      // The other entries live in the person's own init file, which is never written.
      return {
        entry: emacsEntry.parse(plist) as { command: string; args: string[] },
        otherKept: true,
      };
    },
  },
];

describe.each(CASES)('config $client --write', (c) => {
  test('merges into the client file: valid, the other server and comments kept, a backup made', async () => {
    const file = c.file();
    if (c.existing !== '') {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, c.existing);
    }
    const result = await runCli(
      ['config', c.client, '--write', '--', '--lsp', 'off', '--pool-size', '1'],
      {
        cwd: project,
        env: env(),
      },
    );
    expect(result.stderr).not.toContain('Error');
    expect(result.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const { entry, otherKept } = c.read(text);
    expect(otherKept).toBe(true);
    expect(entry.args).toEqual(expect.arrayContaining(['serve', '--lsp', 'off']));
    if (c.existing !== '') {
      expect(result.stdout).toMatch(
        /added the "isolated-pymcp" server; the previous file is saved as /,
      );
      const backups = readdirSync(path.dirname(file)).filter((name) => name.endsWith('.bak'));
      expect(backups).toHaveLength(1);
      expect(readFileSync(path.join(path.dirname(file), backups[0]!), 'utf8')).toBe(c.existing);
      for (const comment of c.existing.match(/(\/\/|#) [^\n]*/g) ?? [])
        expect(text).toContain(comment);
    }

    // The command the file names starts a server that completes initialize and tools/list.
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      cwd: project,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'config-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('run_python_code');
    } finally {
      await client.close();
    }

    // Again: the entry is replaced, not doubled, and the file still parses.
    const again = await runCli(['config', c.client, '--write', '--', '--lsp', 'pylsp'], {
      cwd: project,
      env: env(),
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/replaced the existing "isolated-pymcp" server/);
    const replaced = c.read(readFileSync(file, 'utf8'));
    expect(replaced.entry.args).toEqual(expect.arrayContaining(['--lsp', 'pylsp']));
    expect(replaced.otherKept).toBe(true);
  });
});

test('writing the same configuration again writes nothing and makes no backup', async () => {
  const dir = mkdtempSync(path.join(root, 'same-'));
  const args = ['config', 'cursor', '--write', '--workspace', dir];
  expect((await runCli(args, { cwd: dir, env: { HOME: dir } })).code).toBe(0);
  const before = readFileSync(path.join(dir, '.cursor', 'mcp.json'), 'utf8');
  const again = await runCli(args, { cwd: dir, env: { HOME: dir } });
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('nothing written');
  expect(readdirSync(path.join(dir, '.cursor'))).toEqual(['mcp.json']);
  expect(readFileSync(path.join(dir, '.cursor', 'mcp.json'), 'utf8')).toBe(before);
});

describe('config refuses without touching anything', () => {
  test.each([
    ['claude-code', '.mcp.json', '{"mcpServers": {"other": {"command": "x"}},}'],
    ['cursor', '.cursor/mcp.json', '{"mcpServers": // no comments in JSON\n {}}'],
    ['vscode', '.vscode/mcp.json', '{"servers": ['],
    ['codex', 'codex-home/config.toml', '[mcp_servers.other\ncommand = "x"\n'],
  ])(
    '%s: a file that does not parse (%s) is left as it was, with no backup',
    async (client, relative, content) => {
      const dir = mkdtempSync(path.join(root, 'broken-'));
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      const result = await runCli(['config', client, '--write'], {
        cwd: dir,
        env: { HOME: dir, CODEX_HOME: path.join(dir, 'codex-home') },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/not valid (JSON|TOML)|left untouched/);
      expect(readFileSync(file, 'utf8')).toBe(content);
      expect(readdirSync(path.dirname(file)).filter((name) => name.endsWith('.bak'))).toEqual([]);
    },
  );

  test('emacs: an .el file that config did not write is never overwritten', async () => {
    const dir = mkdtempSync(path.join(root, 'emacs-'));
    const file = path.join(dir, 'init.el');
    writeFileSync(file, '(setq my-init t)\n');
    const result = await runCli(['config', 'emacs', '--write', '--file', file], {
      cwd: dir,
      env: { HOME: dir },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('was not written by isolated-pymcp config');
    expect(readFileSync(file, 'utf8')).toBe('(setq my-init t)\n');
  });

  test('emacs: an init file holding a pasted copy of the printed file is not taken for ours', async () => {
    const dir = mkdtempSync(path.join(root, 'emacs-'));
    const file = path.join(dir, 'init.el');
    const printed = await runCli(['config', 'emacs'], { cwd: dir, env: { HOME: dir } });
    expect(printed.code).toBe(0);
    // What the printed text invites: pasting it into the init file, among the person's own code.
    const init = `(setq my-init t)\n${printed.stdout}(setq more-of-mine t)\n`;
    writeFileSync(file, init);
    const result = await runCli(['config', 'emacs', '--write', '--file', file], {
      cwd: dir,
      env: { HOME: dir },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('was not written by isolated-pymcp config');
    expect(readFileSync(file, 'utf8')).toBe(init);
  });

  test('--token is refused outright; --http to another machine needs --allow-remote and https', async () => {
    const token = await runCli([
      'config',
      'claude-code',
      '--http',
      'http://127.0.0.1:8765/mcp',
      '--token',
      'abcdefghijklmnopqrstuvwxyz',
    ]);
    expect(token.code).toBe(1);
    expect(token.stderr).toContain('never written into a client configuration in clear');
    expect(token.stdout).toBe('');
    const cursorHttp = (url: string, ...more: string[]) =>
      runCli(['config', 'cursor', '--http', url, ...more]);
    const remote = await cursorHttp('https://mcp.example.com/mcp');
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('--allow-remote');
    const plain = await cursorHttp('http://mcp.example.com/mcp', '--allow-remote');
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('must be https://');
    const ok = await cursorHttp('https://mcp.example.com/mcp', '--allow-remote');
    expect(ok.code).toBe(0);
    for (const bad of ['ftp://127.0.0.1/mcp', 'http://user:pw@127.0.0.1:8765/mcp', 'not a url']) {
      const result = await runCli(['config', 'vscode', '--http', bad]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
    }
  });

  test.each(['claude-desktop', 'zed'])(
    '%s: --http is refused (no way to reference the token)',
    async (client) => {
      const result = await runCli(['config', client, '--http', 'http://127.0.0.1:8765/mcp']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('use the stdio configuration');
    },
  );

  test('bad names, serve flags that are not serve flags, limits out of range', async () => {
    for (const args of [
      ['--name', 'has space'],
      ['--name', '1abc'],
      ['--', '--http'],
      ['--', '--memory-mb', '10'],
      ['--workspace', '/no/such/dir'],
    ]) {
      const result = await runCli(['config', 'claude-code', ...args]);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
    }
  });
});

describe('config --http: the token is referenced, never written', () => {
  const TOKEN = 'tok-0123456789abcdefghijklmnopqrstuvwxyz';

  test('no file written for any client holds the token, read from a file and from the environment', async () => {
    const dir = mkdtempSync(path.join(root, 'http-'));
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const clientEnv = { HOME: dir, MY_TOKEN: TOKEN, CODEX_HOME: path.join(dir, 'codex') };
    const expected: Record<string, string> = {
      'claude-code': '${MY_TOKEN}',
      cursor: '${env:MY_TOKEN}',
      codex: 'bearer_token_env_var = "MY_TOKEN"',
      vscode: '${input:isolated-pymcp-token}',
      emacs: tokenFile,
    };
    for (const [client, reference] of Object.entries(expected)) {
      const args = [
        'config',
        client,
        '--write',
        '--http',
        'http://127.0.0.1:8765/mcp',
        '--token-env',
        'MY_TOKEN',
        '--token-file',
        tokenFile,
      ];
      const result = await runCli(args, { cwd: dir, env: clientEnv });
      expect(result.code, `${client}: ${result.stderr}`).toBe(0);
      const printed = await runCli(
        args.filter((arg) => arg !== '--write'),
        { cwd: dir, env: clientEnv },
      );
      expect(printed.stdout).toContain(reference);
      expect(printed.stdout + printed.stderr + result.stdout + result.stderr).not.toContain(TOKEN);
    }
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((name) => path.join(dir, name))
      .filter(
        (file) =>
          file !== tokenFile && statSync(file, { throwIfNoEntry: false })?.isFile() === true,
      );
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) expect(readFileSync(file, 'utf8'), file).not.toContain(TOKEN);
    expect(
      vscodeFile.parse(
        parseJsonFile(readFileSync(path.join(dir, '.vscode', 'mcp.json'), 'utf8'), true),
      ).inputs?.[0]?.password,
    ).toBe(true);
    for (const [client, file] of [
      ['claude-code', '.mcp.json'],
      ['codex', 'codex/config.toml'],
      ['emacs', '.emacs.d/mcp-server-isolated-pymcp.el'],
    ] as const) {
      expect(parseClientFile(client, readFileSync(path.join(dir, file), 'utf8'))).toBeTruthy();
    }
  });

  test('a token file others can read is refused, as serve refuses it', async () => {
    const dir = mkdtempSync(path.join(root, 'open-token-'));
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, TOKEN, { mode: 0o644 });
    chmodSync(tokenFile, 0o644);
    const result = await runCli([
      'config',
      'codex',
      '--http',
      'http://127.0.0.1:8765/mcp',
      '--token-file',
      tokenFile,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('readable by other users');
  });

  test('claude-code --print-command prints a claude mcp add that keeps ${VAR} for Claude Code to expand', async () => {
    const result = await runCli([
      'config',
      'claude-code',
      '--print-command',
      '--http',
      'http://127.0.0.1:8765/mcp',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "claude mcp add --scope project --transport http isolated-pymcp http://127.0.0.1:8765/mcp --header 'Authorization: Bearer ${ISOLATED_PYMCP_TOKEN}'\n",
    );
  });
});
