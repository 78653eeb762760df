/**
 * The pieces of `config`: what a URL, a name and serve flags may be; editing JSON(C) and TOML in
 * place; each client's printed file against its documented format; the file writer's backup,
 * mode, symlink and lost-update behaviour (real files in a temporary directory).
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { claudeMcpAdd } from '../../src/cli/client-configs/claude-code.js';
import { CLIENTS } from '../../src/cli/client-configs/clients.js';
import {
  assertStaysInProject,
  readConfigFile,
  writeConfigFile,
} from '../../src/cli/client-configs/config-file.js';
import { JsonDocument } from '../../src/cli/client-configs/json-edit.js';
import {
  checkEnvName,
  checkName,
  checkUrl,
  type ServerSpec,
} from '../../src/cli/client-configs/server-spec.js';
import { serveArgs, stdioLaunch } from '../../src/cli/client-configs/stdio-launch.js';
import { setTomlTable } from '../../src/cli/client-configs/toml-edit.js';
import type { ClientId } from '../../src/cli/config-options.js';
import { isPymcpError } from '../../src/shared/errors.js';
import { parseClientFile, parseJsonFile, parseTomlFile } from '../helpers/client-schemas.js';

const root = mkdtempSync(path.join(tmpdir(), 'pymcp-client-configs-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function refused(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isPymcpError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('what --http may point at', () => {
  test.each([
    'http://127.0.0.1:8765/mcp',
    'http://localhost:8765/mcp',
    'http://[::1]:8765/mcp',
    'https://127.0.0.2/mcp',
  ])('loopback %s is accepted', (url) => {
    expect(checkUrl(url, false)).toBe(new URL(url).href);
  });

  test.each([
    ['https://mcp.example.com/mcp', false, '--allow-remote'],
    ['http://10.0.0.5:8765/mcp', false, '--allow-remote'],
    ['http://0.0.0.0:8765/mcp', false, '--allow-remote'],
    ['http://mcp.example.com/mcp', true, 'must be https://'],
    ['http://user:secret@127.0.0.1:8765/mcp', false, 'user name or password'],
    ['file:///etc/passwd', false, 'http:// or https://'],
    ['http://127.0.0.1:8765/mcp\nX-Evil: 1', false, 'control characters'],
    ['127.0.0.1:8765', false, 'not a URL'],
    ['http://127.0.0.1:8765/mcp?key=${SECRET}', false, 'replace with a variable'],
    ['https://127.0.0.1/mcp#${env:SECRET}', false, 'replace with a variable'],
  ])('%s (allow remote: %s) is refused: %s', (url, allowRemote, why) => {
    expect(refused(() => checkUrl(url, allowRemote))).toContain(why);
  });

  test('a remote https URL is accepted with --allow-remote', () => {
    expect(checkUrl('https://mcp.example.com/mcp', true)).toBe('https://mcp.example.com/mcp');
  });
});

describe('names', () => {
  test.each(['isolated-pymcp', 'py', 'A_b-9'])('server name %s is accepted', (name) => {
    expect(checkName(name)).toBe(name);
  });
  test.each(['', '1abc', 'has space', 'a.b', 'a"b', '../x', 'x'.repeat(65), 'ünï'])(
    'server name %j is refused',
    (name) => {
      refused(() => checkName(name));
    },
  );
  test.each(['1TOKEN', 'MY-TOKEN', 'a b', '${X}', ''])('token variable %j is refused', (name) => {
    refused(() => checkEnvName(name));
  });
});

describe('serve flags passed through after --', () => {
  test('paths are made absolute; other flags kept as typed', () => {
    const dir = mkdtempSync(path.join(root, 'ws-'));
    mkdirSync(path.join(dir, 'code'));
    expect(
      serveArgs(['--lsp', 'pylsp', '--venv=.venv', '--python', 'py/bin/python3'], 'code', dir),
    ).toEqual([
      '--workspace',
      path.join(dir, 'code'),
      '--lsp',
      'pylsp',
      '--venv',
      path.join(dir, '.venv'),
      '--python',
      path.join(dir, 'py/bin/python3'),
    ]);
  });

  test.each([
    [['--http'], 'unknown option'],
    [['--port', '1'], 'unknown option'],
    [['--lsp', 'emacs'], 'expected one of'],
    [['--memory-mb', '10'], '--memory-mb must be at least 64'],
    [['extra'], 'too many arguments'],
    [['--log-level', 'debug\n'], 'control character'],
  ])('%j is refused: %s', (args, why) => {
    expect(refused(() => serveArgs(args, undefined, root))).toContain(why);
  });

  test('--workspace both before and after -- is refused', () => {
    expect(refused(() => serveArgs(['--workspace', root], root, root))).toContain('once');
  });

  test('a path holding ${ is refused: Claude Code, Cursor and VS Code would read a variable there', () => {
    const dir = mkdtempSync(path.join(root, 'ws-'));
    mkdirSync(path.join(dir, '${HOME}'));
    const installation = { node: '/usr/bin/node', bin: '/opt/p/bin/isolated-pymcp', version: '1' };
    for (const npx of [false, true]) {
      for (const args of [
        serveArgs([], '${HOME}', dir),
        serveArgs(['--workspace', '${HOME}'], undefined, dir),
        serveArgs(['--python=${env:PY}'], undefined, dir),
      ]) {
        expect(refused(() => stdioLaunch(installation, args, npx))).toContain(
          'which Claude Code, Cursor and VS Code replace',
        );
      }
    }
    expect(
      refused(() => stdioLaunch({ ...installation, bin: '/opt/${X}/isolated-pymcp' }, [], false)),
    ).toContain('${');
    // A lone $ is no variable to any of them.
    expect(
      stdioLaunch(installation, serveArgs(['--python', '/opt/$py'], undefined, dir), false),
    ).toMatchObject({ args: ['/opt/p/bin/isolated-pymcp', 'serve', '--python', '/opt/$py'] });
  });
});

describe('editing JSON in place', () => {
  const ZED = `// Zed settings\r\n{\r\n\t// my theme\r\n\t"theme": "One Dark",\r\n\t"context_servers": {\r\n\t\t"other": { "command": "x", "args": [] }, // keep me\r\n\t},\r\n}\r\n`;

  test('a new server goes in first; every other byte of the file stays (comments, tabs, CRLF, trailing commas)', () => {
    const document = JsonDocument.parse(ZED, 'settings.json', 'jsonc');
    expect(document.set(['context_servers', 'py'], { command: 'c', args: ['a'] })).toBe(false);
    const text = document.toString();
    const inserted =
      '\r\n\t\t"py": {\r\n\t\t\t"command": "c",\r\n\t\t\t"args": [\r\n\t\t\t\t"a"\r\n\t\t\t]\r\n\t\t},';
    expect(text).toBe(ZED.replace('"context_servers": {', `"context_servers": {${inserted}`));
  });

  test('an existing entry is replaced; its neighbours are not touched', () => {
    const document = JsonDocument.parse(ZED, 'settings.json', 'jsonc');
    document.set(['context_servers', 'other'], { command: 'y', args: [] });
    expect(document.toString()).toContain('// keep me');
    expect(document.get(['context_servers', 'other'])).toEqual({ command: 'y', args: [] });
    expect(document.toString()).toContain('"theme": "One Dark"');
  });

  test('a missing container is created; an empty or blank file is an empty object', () => {
    for (const text of [null, '', '  \n', '{}', '{ // nothing yet\n}']) {
      const document = JsonDocument.parse(text, 'f.json', 'jsonc');
      document.set(['mcpServers', 'py'], { command: 'c' });
      expect(parseJsonFile(document.toString(), true)).toEqual({
        mcpServers: { py: { command: 'c' } },
      });
    }
  });

  test.each([
    ['{"a": 1,}', 'json', 'not valid JSON'],
    ['{"a": 1 // c\n}', 'json', 'not valid JSON'],
    ['{"a": ', 'jsonc', 'not valid JSON with comments'],
    ['[1, 2]', 'json', 'not a JSON object'],
    ['"text"', 'jsonc', 'not a JSON object'],
  ] as const)('%j (%s) is refused', (text, dialect, why) => {
    expect(refused(() => JsonDocument.parse(text, 'f.json', dialect))).toContain(why);
  });

  test('a file nested deeper than the parser can follow is refused, not a stack overflow', () => {
    // Too deep for the parser itself; deep enough for reading the value back; a server's.
    for (const depth of [100_000, 3000]) {
      const deep = `{"a": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
      for (const dialect of ['json', 'jsonc'] as const) {
        expect(refused(() => JsonDocument.parse(deep, 'f.json', dialect))).toContain(
          'f.json: nested too deeply',
        );
      }
    }
    const server = `{"mcpServers": {"py": ${'['.repeat(3000)}${']'.repeat(3000)}}}`;
    expect(refused(() => JsonDocument.parse(server, 'f.json', 'json'))).toContain(
      'nested too deeply',
    );
    // Nesting a configuration really has is fine.
    const usual = `{"a": ${'{"b": '.repeat(20)}1${'}'.repeat(20)}}`;
    expect(JsonDocument.parse(usual, 'f.json', 'json').get(['a', 'b', 'b'])).toBeDefined();
  });

  test('a servers member that is not an object is refused', () => {
    const document = JsonDocument.parse('{"mcpServers": ["x"]}', 'f.json', 'json');
    expect(refused(() => document.set(['mcpServers', 'py'], {}))).toContain('is not an object');
  });

  test.each([
    ['{"mcpServers": {"py": {"command": "old"}, "py": {"command": "planted"}}}', 'mcpServers.py'],
    ['{"mcpServers": {"a": {}}, "mcpServers": {"b": {}}}', 'mcpServers'],
    ['{"mcpServers": {}, "x": 1, "mcpServers": {"py": {"command": "planted"}}}', 'mcpServers'],
  ])(
    'a key given twice on the way to our entry is refused (a client reads the last one): %s',
    (text, key) => {
      const document = JsonDocument.parse(text, 'f.json', 'json');
      expect(refused(() => document.set(['mcpServers', 'py'], { command: 'c' }))).toContain(
        `"${key}" is given twice`,
      );
      expect(document.toString()).toBe(text);
    },
  );

  test('"inputs" given twice is refused too', () => {
    const text = '{"inputs": [], "inputs": [{"id": "mine", "password": false}]}';
    const document = JsonDocument.parse(text, 'f.json', 'jsonc');
    expect(refused(() => document.upsert(['inputs'], 'id', { id: 'mine' }))).toContain(
      '"inputs" is given twice',
    );
  });

  test('an input is replaced by id, else added', () => {
    const document = JsonDocument.parse(
      '{"inputs": [{"type": "promptString", "id": "other"}]}',
      'f',
      'jsonc',
    );
    expect(document.upsert(['inputs'], 'id', { id: 'mine', v: 1 })).toBe(false);
    expect(document.upsert(['inputs'], 'id', { id: 'mine', v: 2 })).toBe(true);
    expect(document.get(['inputs'])).toEqual([
      { id: 'mine', v: 2 },
      { type: 'promptString', id: 'other' },
    ]);
  });
});

describe('editing TOML in place', () => {
  const CODEX = `# my codex config
model = "o3" # favourite

[mcp_servers.other]
command = "x"
args = []

[mcp_servers.py]
command = "old" # old comment

[mcp_servers.py.env]
A = "1"

# the profiles
[profiles.fast]
model = "o4-mini"
`;

  test('our table and its sub-tables are replaced; the rest, comments included, stays', () => {
    const { text, replaced } = setTomlTable(CODEX, 'config.toml', 'mcp_servers', 'py', {
      command: 'new',
      args: ['serve'],
    });
    expect(replaced).toBe(true);
    expect(text).toContain('# my codex config\nmodel = "o3" # favourite\n');
    expect(text).toContain('# the profiles\n[profiles.fast]\nmodel = "o4-mini"\n');
    expect(text).not.toContain('old');
    expect(parseTomlFile(text)).toEqual({
      model: 'o3',
      mcp_servers: { other: { command: 'x', args: [] }, py: { command: 'new', args: ['serve'] } },
      profiles: { fast: { model: 'o4-mini' } },
    });
  });

  test.each([
    ['model = ', 'not valid TOML'],
    ['mcp_servers = 3\n', '"mcp_servers" is not a table'],
    ['[mcp_servers]\npy = { command = "x" }\n', 'not written as its own [mcp_servers.py] table'],
    ['mcp_servers.py.command = "x"\n', 'not written as its own'],
    // The file is valid; a [mcp_servers.py] table cannot extend an inline one.
    ['mcp_servers = { other = { command = "x" } }\n', '"mcp_servers" is an inline table'],
    ['mcp_servers = {}\n', '"mcp_servers" is an inline table'],
  ])('%j is refused', (text, why) => {
    expect(
      refused(() => setTomlTable(text, 'c.toml', 'mcp_servers', 'py', { command: 'c' })),
    ).toContain(why);
  });

  test('a file with CRLF line endings keeps them in the table added to it', () => {
    const text = '# mine\r\n[mcp_servers.other]\r\ncommand = "x"\r\n';
    const result = setTomlTable(text, 'c.toml', 'mcp_servers', 'py', { command: 'c', args: [] });
    expect(result.text.startsWith(text)).toBe(true);
    expect(result.text.replaceAll('\r\n', '')).not.toContain('\n');
    expect(parseTomlFile(result.text)).toEqual({
      mcp_servers: { other: { command: 'x' }, py: { command: 'c', args: [] } },
    });
  });

  test('a "[mcp_servers.py]" line inside a multi-line string is not taken for a header', () => {
    const text = 'notes = """\n[mcp_servers.py]\n"""\n\n[mcp_servers.py]\ncommand = "old"\n';
    const result = setTomlTable(text, 'c.toml', 'mcp_servers', 'py', { command: 'c' });
    expect(result.replaced).toBe(true);
    expect(parseTomlFile(result.text)).toEqual({
      notes: '[mcp_servers.py]\n',
      mcp_servers: { py: { command: 'c' } },
    });
  });
});

describe("each client's printed file matches its documented format", () => {
  const stdio: ServerSpec = {
    name: 'isolated-pymcp',
    launch: {
      kind: 'stdio',
      command: '/usr/bin/node',
      args: ['/opt/p/bin/isolated-pymcp', 'serve', '--workspace', '/w "q" \\'],
    },
  };
  const http: ServerSpec = {
    name: 'py',
    launch: { kind: 'http', url: 'http://127.0.0.1:8765/mcp', token: { env: 'TOK' } },
  };
  test.each(Object.keys(CLIENTS) as ClientId[])('%s', (id) => {
    const client = CLIENTS[id];
    const printed = client.render(stdio);
    expect(parseClientFile(id, printed)).toBeTruthy();
    // The awkward workspace path survives each format's quoting.
    expect(JSON.stringify(parseClientFile(id, printed))).toContain(
      JSON.stringify('/w "q" \\').slice(1, -1),
    );
    if (id === 'claude-desktop' || id === 'zed') {
      expect(
        refused(() => {
          client.check(http);
        }),
      ).toContain('use the stdio configuration');
    } else {
      client.check(http);
      expect(parseClientFile(id, client.render(http))).toBeTruthy();
    }
  });

  test('the claude mcp add command quotes what a shell would expand', () => {
    expect(claudeMcpAdd(stdio)).toBe(
      `claude mcp add --scope project --transport stdio isolated-pymcp -- /usr/bin/node /opt/p/bin/isolated-pymcp serve --workspace '/w "q" \\'`,
    );
  });
});

describe('writing a configuration file', () => {
  test('a timestamped backup of the previous content, never replacing an earlier backup; mode kept', async () => {
    const dir = mkdtempSync(path.join(root, 'write-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, 'one');
    chmodSync(file, 0o600);
    const now = new Date('2026-01-02T03:04:05Z');
    const first = await writeConfigFile(file, await readConfigFile(file), 'two', now);
    const second = await writeConfigFile(file, await readConfigFile(file), 'three', now);
    expect(first).toBe(`${file}.20260102-030405.bak`);
    expect(second).toBe(`${file}.20260102-030405-2.bak`);
    expect(readFileSync(first!, 'utf8')).toBe('one');
    expect(readFileSync(second!, 'utf8')).toBe('two');
    expect(readFileSync(file, 'utf8')).toBe('three');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  test('through a symlink, the file it names is written and the link stays', async () => {
    const dir = mkdtempSync(path.join(root, 'link-'));
    const real = path.join(dir, 'dotfiles-settings.json');
    const link = path.join(dir, 'settings.json');
    writeFileSync(real, '{}');
    symlinkSync(real, link);
    await writeConfigFile(link, await readConfigFile(link), '{"a": 1}');
    expect(readFileSync(real, 'utf8')).toBe('{"a": 1}');
    expect(readdirSync(dir).sort()).toEqual(
      expect.arrayContaining(['dotfiles-settings.json', 'settings.json']),
    );
    expect(statSync(link).isFile()).toBe(true);
  });

  test('a file changed (or created) since it was read is not overwritten', async () => {
    const dir = mkdtempSync(path.join(root, 'race-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, 'before');
    const read = await readConfigFile(file);
    writeFileSync(file, 'someone else, longer');
    await expect(writeConfigFile(file, read, 'mine')).rejects.toThrow(/changed while/);
    expect(readFileSync(file, 'utf8')).toBe('someone else, longer');
    const fresh = path.join(dir, 'new.json');
    const none = await readConfigFile(fresh);
    writeFileSync(fresh, 'created meanwhile');
    await expect(writeConfigFile(fresh, none, 'mine')).rejects.toThrow(/changed while/);
    expect(readFileSync(fresh, 'utf8')).toBe('created meanwhile');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  test('a read-only file (no write bit for anyone) is left untouched, with no backup', async () => {
    const dir = mkdtempSync(path.join(root, 'readonly-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, 'kept');
    chmodSync(file, 0o444);
    await expect(writeConfigFile(file, await readConfigFile(file), 'mine')).rejects.toThrow(
      /config\.json is read-only \(mode 444\); left untouched/,
    );
    expect(readFileSync(file, 'utf8')).toBe('kept');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  test('a directory, a huge file or one that is not UTF-8 is refused', async () => {
    const dir = mkdtempSync(path.join(root, 'odd-'));
    await expect(readConfigFile(dir)).rejects.toThrow(/not a regular file/);
    const binary = path.join(dir, 'bin.json');
    writeFileSync(binary, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    await expect(readConfigFile(binary)).rejects.toThrow(/not UTF-8/);
    const huge = path.join(dir, 'huge.json');
    writeFileSync(huge, Buffer.alloc(5 * 1024 * 1024, 0x20));
    await expect(readConfigFile(huge)).rejects.toThrow(/larger than/);
  });
});

describe('a project file that leads out of the project through a symlink', () => {
  test('.mcp.json linked to a file of the user, or .vscode linked to a directory elsewhere, is refused', async () => {
    const base = mkdtempSync(path.join(root, 'planted-'));
    const project = path.join(base, 'repo');
    const outside = path.join(base, 'home');
    mkdirSync(project);
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'claude_desktop_config.json'), '{}');
    symlinkSync(path.join(outside, 'claude_desktop_config.json'), path.join(project, '.mcp.json'));
    symlinkSync(outside, path.join(project, '.vscode'));
    await expect(assertStaysInProject(path.join(project, '.mcp.json'), project)).rejects.toThrow(
      /leads out of the project/,
    );
    await expect(
      assertStaysInProject(path.join(project, '.vscode', 'mcp.json'), project),
    ).rejects.toThrow(/leads out of the project/);
  });

  test('links that stay inside, new files, and files outside the project (user files) pass', async () => {
    const project = mkdtempSync(path.join(root, 'inside-'));
    mkdirSync(path.join(project, 'conf'));
    writeFileSync(path.join(project, 'conf', 'mcp.json'), '{}');
    symlinkSync(path.join(project, 'conf', 'mcp.json'), path.join(project, '.mcp.json'));
    await assertStaysInProject(path.join(project, '.mcp.json'), project);
    await assertStaysInProject(path.join(project, '.cursor', 'mcp.json'), project);
    await assertStaysInProject(path.join(root, 'elsewhere', 'settings.json'), project);
  });
});
