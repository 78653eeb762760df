/**
 * The workspace path gate against the attacks it exists to block. Real files, real symlinks, a
 * real FIFO and a real unix socket in a temporary directory; no mocks.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFile,
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isPymcpError } from '../../src/shared/errors.js';
import {
  readWorkspaceText,
  relativeToWorkspace,
  resolveWorkspaceFile,
  writeWorkspaceFileAtomic,
  type WorkspaceFile,
} from '../../src/shared/path-gate.js';

const MAX_BYTES = 1024;
const LIMITS = { maxBytes: MAX_BYTES };
const SECRET = 'TOP-SECRET-CONTENT';

/** Real base directory (tmpdir may itself be a symlink); `ws` is the workspace root. */
let base: string;
let ws: string;
let outside: string;
let socketServer: Server;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-gate-')));
  ws = path.join(base, 'ws');
  outside = path.join(base, 'outside');
  await mkdir(path.join(ws, 'pkg'), { recursive: true });
  await mkdir(outside);
  await mkdir(path.join(base, 'ws-evil'));
  await writeFile(path.join(outside, 'secret.py'), `${SECRET}\n`);
  await writeFile(path.join(base, 'ws-evil/secret.py'), `${SECRET}\n`);

  await writeFile(path.join(ws, 'a.py'), "print('a')\n");
  await writeFile(path.join(ws, 'pkg/cart.py'), 'class Cart: ...\n');
  await writeFile(path.join(ws, 'a%2e.py'), 'literal = True\n');
  await writeFile(path.join(ws, 'big.py'), 'x'.repeat(MAX_BYTES + 1));
  await writeFile(path.join(ws, 'exact.py'), 'x'.repeat(MAX_BYTES));
  await writeFile(path.join(ws, 'latin1.py'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  await writeFile(path.join(ws, 'nul.py'), Buffer.from('a = 1\n\0\n'));
  await writeFile(path.join(ws, 'bom.py'), '\uFEFFx = 1\n');

  await symlink('pkg/cart.py', path.join(ws, 'inner-link.py'));
  await symlink(path.join(outside, 'secret.py'), path.join(ws, 'link-out.py'));
  await symlink(path.join(outside, 'missing.py'), path.join(ws, 'link-missing-out.py'));
  await symlink(outside, path.join(ws, 'dir-out'));
  await symlink('chain2.py', path.join(ws, 'chain1.py'));
  await symlink('pkg/chain3.py', path.join(ws, 'chain2.py'));
  await symlink('../../outside/secret.py', path.join(ws, 'pkg/chain3.py'));
  await symlink('/dev/null', path.join(ws, 'devnull'));
  await symlink('loop2', path.join(ws, 'loop1'));
  await symlink('loop1', path.join(ws, 'loop2'));
  await symlink(ws, path.join(base, 'ws-link'));
  execFileSync('mkfifo', [path.join(ws, 'fifo')]);
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(path.join(ws, 'sock'), resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    socketServer.close(() => {
      resolve();
    });
  });
  await rm(base, { recursive: true, force: true });
});

/** The message of the path_denied error `promise` must reject with. */
async function denial(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isPymcpError(error, 'path_denied'), `expected path_denied, got ${String(error)}`).toBe(
    true,
  );
  return (error as Error).message;
}

const inWs = (relative: string): string => path.join(ws, relative);
const wsUrl = (): string => pathToFileURL(ws).href;

describe('resolveWorkspaceFile allows files inside the workspace', () => {
  test.each<{ name: string; input: () => string; relative: string }>([
    { name: 'a relative path', input: () => 'a.py', relative: 'a.py' },
    { name: 'a nested relative path', input: () => 'pkg/cart.py', relative: 'pkg/cart.py' },
    { name: 'dot segments that stay inside', input: () => './pkg/../a.py', relative: 'a.py' },
    { name: 'an absolute path inside', input: () => inWs('pkg/cart.py'), relative: 'pkg/cart.py' },
    {
      name: 'a symlink inside that stays inside',
      input: () => 'inner-link.py',
      relative: 'pkg/cart.py',
    },
    { name: 'a file: URI inside', input: () => pathToFileURL(inWs('a.py')).href, relative: 'a.py' },
    {
      name: 'a file: URI decoded exactly once (%61 -> a)',
      input: () => `${wsUrl()}/%61.py`,
      relative: 'a.py',
    },
    {
      name: 'a file://localhost/ URI',
      input: () => `file://localhost${inWs('a.py')}`,
      relative: 'a.py',
    },
    {
      name: 'a plain path with a literal percent escape',
      input: () => 'a%2e.py',
      relative: 'a%2e.py',
    },
    { name: 'a file of exactly maxBytes', input: () => 'exact.py', relative: 'exact.py' },
  ])('$name', async ({ input, relative }) => {
    const file = await resolveWorkspaceFile(ws, input(), LIMITS);
    expect(file).toEqual({
      absolute: inWs(relative),
      relative,
      size: (await stat(inWs(relative))).size,
    });
  });

  test('the workspace root itself being a symlink: paths resolve against the real root', async () => {
    const root = path.join(base, 'ws-link');
    for (const input of ['pkg/cart.py', path.join(root, 'pkg/cart.py'), inWs('pkg/cart.py')]) {
      const file = await resolveWorkspaceFile(root, input, LIMITS);
      expect(file.absolute).toBe(inWs('pkg/cart.py'));
      expect(file.relative).toBe('pkg/cart.py');
    }
    expect(await denial(resolveWorkspaceFile(root, '../outside/secret.py', LIMITS))).toMatch(
      /outside the workspace/,
    );
  });
});

describe('resolveWorkspaceFile refuses', () => {
  test.each<{ attack: string; input: () => string; message: RegExp }>([
    // Escaping the workspace by name.
    {
      attack: '../ traversal',
      input: () => '../outside/secret.py',
      message: /outside the workspace/,
    },
    {
      attack: 'traversal through a subdirectory',
      input: () => 'pkg/../../outside/secret.py',
      message: /outside the workspace/,
    },
    {
      attack: 'an absolute path outside',
      input: () => '/etc/passwd',
      message: /outside the workspace/,
    },
    {
      attack: 'an absolute path to a sibling directory',
      input: () => path.join(outside, 'secret.py'),
      message: /outside the workspace/,
    },
    {
      attack: 'a prefix sibling (/x/ws-evil vs /x/ws)',
      input: () => path.join(base, 'ws-evil/secret.py'),
      message: /outside the workspace/,
    },
    {
      attack: 'a relative prefix sibling',
      input: () => '../ws-evil/secret.py',
      message: /outside the workspace/,
    },
    // Escaping through symlinks.
    {
      attack: 'a symlink to a file outside',
      input: () => 'link-out.py',
      message: /link-out\.py is outside the workspace/,
    },
    {
      attack: 'a symlinked directory pointing outside',
      input: () => 'dir-out/secret.py',
      message: /dir-out\/secret\.py is outside the workspace/,
    },
    {
      attack: 'a symlink chain that ends outside',
      input: () => 'chain1.py',
      message: /chain1\.py is outside the workspace/,
    },
    {
      attack: '/dev/null via a symlink',
      input: () => 'devnull',
      message: /devnull is outside the workspace/,
    },
    {
      attack: 'a dangling symlink to a missing file outside',
      input: () => 'link-missing-out.py',
      message: /link-missing-out\.py is outside the workspace/,
    },
    {
      attack: 'a missing file under a symlinked directory outside',
      input: () => 'dir-out/missing.py',
      message: /dir-out\/missing\.py is outside the workspace/,
    },
    {
      attack: 'a symlink loop',
      input: () => 'loop1',
      message: /loop1 cannot be resolved: too many levels of symbolic links/,
    },
    // Malformed input.
    { attack: 'an empty path', input: () => '', message: /path is empty/ },
    {
      attack: 'an overlong path',
      input: () => 'a'.repeat(4097),
      message: /4097 characters, over the 4096-character limit/,
    },
    {
      attack: 'a NUL byte truncating the path',
      input: () => 'a.py\0../../etc/passwd',
      message: /NUL byte/,
    },
    {
      attack: 'a newline (log spoofing)',
      input: () => 'a.py\nINFO ok',
      message: /control character \(U\+000A\)/,
    },
    {
      attack: 'an ANSI escape',
      input: () => '\x1b[2Ja.py',
      message: /control character \(U\+001B\)/,
    },
    { attack: 'a tab', input: () => 'a\t.py', message: /control character \(U\+0009\)/ },
    {
      attack: 'a DEL character',
      input: () => 'a\x7f.py',
      message: /control character \(U\+007F\)/,
    },
    // Expansion and URIs.
    {
      attack: '~/ home expansion',
      input: () => '~/.ssh/id_rsa',
      message: /"~" is not expanded; use a path relative to the workspace root/,
    },
    {
      attack: '~user home expansion',
      input: () => '~root/.bashrc',
      message: /"~" is not expanded/,
    },
    {
      attack: 'file:///etc/passwd',
      input: () => 'file:///etc/passwd',
      message: /outside the workspace/,
    },
    {
      attack: 'a file: URI with dot segments out of the workspace',
      input: () => `${wsUrl()}/../outside/secret.py`,
      message: /outside the workspace/,
    },
    {
      attack: 'a file: URI with encoded dot segments',
      input: () => `${wsUrl()}/%2e%2e/outside/secret.py`,
      message: /outside the workspace/,
    },
    {
      attack: 'a file: URI with an encoded slash',
      input: () => `${wsUrl()}/..%2F..%2Fetc%2Fpasswd`,
      message: /file: URI cannot be used/,
    },
    {
      attack: 'a file: URI decoding to a NUL byte',
      input: () => `${wsUrl()}/a.py%00.txt`,
      message: /NUL byte/,
    },
    {
      attack: 'a file: URI naming a remote host',
      input: () => 'file://evil.host/x',
      message: /names the host "evil\.host"/,
    },
    {
      attack: 'a file: URI with a query',
      input: () => `${wsUrl()}/a.py?x=1`,
      message: /query or fragment/,
    },
    {
      attack: 'an http: URI',
      input: () => 'http://example.com/a.py',
      message: /"http:" URIs are not supported/,
    },
    {
      attack: 'an untitled: URI',
      input: () => 'untitled:Untitled-1',
      message: /"untitled:" URIs are not supported/,
    },
    {
      attack: 'a vscode: URI',
      input: () => 'vscode://file/etc/passwd',
      message: /"vscode:" URIs are not supported/,
    },
    {
      attack: 'percent-encoded traversal (taken literally, not decoded)',
      input: () => '..%2f..%2fetc%2fpasswd',
      message: /^no such file in the workspace: \.\.%2f\.\.%2fetc%2fpasswd$/,
    },
    // Not a readable regular file.
    {
      attack: 'a missing file',
      input: () => 'nope.py',
      message: /^no such file in the workspace: nope\.py$/,
    },
    {
      attack: 'a path through a file',
      input: () => 'a.py/x.py',
      message: /^no such file in the workspace: a\.py\/x\.py$/,
    },
    {
      attack: 'a directory',
      input: () => 'pkg',
      message: /pkg is a directory, not a regular file/,
    },
    {
      attack: 'the workspace root',
      input: () => '.',
      message: /is a directory, not a regular file/,
    },
    {
      attack: 'a FIFO (would block the reader)',
      input: () => 'fifo',
      message: /fifo is a FIFO, not a regular file/,
    },
    {
      attack: 'a unix socket',
      input: () => 'sock',
      message: /sock is a socket, not a regular file/,
    },
    {
      attack: 'an oversized file',
      input: () => 'big.py',
      message: /big\.py is 1025 bytes, over the 1024-byte limit/,
    },
  ])('$attack', async ({ input, message }) => {
    const text = await denial(resolveWorkspaceFile(ws, input(), LIMITS));
    expect(text).toMatch(message);
    expect(text).not.toContain(SECRET);
  });

  test('a non-string path', async () => {
    expect(await denial(resolveWorkspaceFile(ws, 42 as unknown as string, LIMITS))).toBe(
      'path must be a string',
    );
  });

  test('denials through symlinks reveal neither the outside path nor its content', async () => {
    for (const input of ['link-out.py', 'dir-out/secret.py', 'chain1.py', 'link-missing-out.py']) {
      const text = await denial(resolveWorkspaceFile(ws, input, LIMITS));
      expect(text).not.toContain(outside);
      expect(text).not.toContain(SECRET);
    }
  });

  test('a link to a missing outside file is indistinguishable from one to an existing file', async () => {
    const existing = await denial(resolveWorkspaceFile(ws, 'link-out.py', LIMITS));
    const missing = await denial(resolveWorkspaceFile(ws, 'link-missing-out.py', LIMITS));
    expect(missing.replace('link-missing-out.py', 'X')).toBe(existing.replace('link-out.py', 'X'));
    const underDir = await denial(resolveWorkspaceFile(ws, 'dir-out/missing.py', LIMITS));
    expect(underDir.replace('dir-out/missing.py', 'X')).toBe(existing.replace('link-out.py', 'X'));
  });

  test('outside paths get the same answer whether or not they exist', async () => {
    const existing = await denial(resolveWorkspaceFile(ws, '../outside/secret.py', LIMITS));
    const missing = await denial(resolveWorkspaceFile(ws, '../outside/missing.py', LIMITS));
    expect(missing.replace('missing', 'X')).toBe(existing.replace('secret', 'X'));
  });
});

describe('readWorkspaceText', () => {
  const read = async (input: string): Promise<string> =>
    readWorkspaceText(await resolveWorkspaceFile(ws, input, LIMITS), LIMITS);

  test('reads a workspace file as text', async () => {
    expect(await read('a.py')).toBe("print('a')\n");
    expect(await read('inner-link.py')).toBe('class Cart: ...\n');
  });

  test('keeps a UTF-8 byte order mark', async () => {
    expect(await read('bom.py')).toBe('\uFEFFx = 1\n');
  });

  test.each([
    ['a non-UTF-8 file', 'latin1.py', /^latin1\.py is not valid UTF-8 text$/],
    ['a file with NUL bytes', 'nul.py', /^nul\.py contains NUL bytes/],
  ])('refuses %s', async (_name, input, message) => {
    expect(await denial(read(input))).toMatch(message);
  });

  test('refuses a file that grew past maxBytes after the check', async () => {
    await writeFile(inWs('grow.py'), 'x = 1\n');
    const file = await resolveWorkspaceFile(ws, 'grow.py', LIMITS);
    await appendFile(inWs('grow.py'), '#'.repeat(MAX_BYTES));
    expect(await denial(readWorkspaceText(file, LIMITS))).toMatch(
      /grow\.py grew past the 1024-byte limit since it was checked/,
    );
  });

  test('refuses a file swapped for another one after the check', async () => {
    await writeFile(inWs('swap.py'), 'x = 1\n');
    const file = await resolveWorkspaceFile(ws, 'swap.py', LIMITS);
    await writeFile(inWs('swap.tmp'), 'y = 2\n');
    await rename(inWs('swap.tmp'), inWs('swap.py'));
    expect(await denial(readWorkspaceText(file, LIMITS))).toMatch(
      /swap\.py changed since it was checked/,
    );
  });

  test('refuses a file replaced by a symlink to outside after the check', async () => {
    await writeFile(inWs('relink.py'), 'x = 1\n');
    const file = await resolveWorkspaceFile(ws, 'relink.py', LIMITS);
    await unlink(inWs('relink.py'));
    await symlink(path.join(outside, 'secret.py'), inWs('relink.py'));
    const text = await denial(readWorkspaceText(file, LIMITS));
    expect(text).toMatch(/relink\.py cannot be opened \(ELOOP\)/);
    expect(text).not.toContain(SECRET);
  });

  test('refuses a parent directory replaced by a symlink to outside after the check', async () => {
    await mkdir(inWs('moving'));
    await writeFile(inWs('moving/secret.py'), 'x = 1\n');
    const file = await resolveWorkspaceFile(ws, 'moving/secret.py', LIMITS);
    await rm(inWs('moving'), { recursive: true });
    await symlink(outside, inWs('moving'));
    const text = await denial(readWorkspaceText(file, LIMITS));
    expect(text).toMatch(/changed since it was checked/);
    expect(text).not.toContain(SECRET);
  });

  test('refuses a WorkspaceFile the gate did not produce', async () => {
    const forged: WorkspaceFile = {
      absolute: path.join(outside, 'secret.py'),
      relative: 'a.py',
      size: 1,
    };
    expect(await denial(readWorkspaceText(forged, LIMITS))).toMatch(
      /was not resolved by the workspace path gate/,
    );
  });
});

describe('relativeToWorkspace', () => {
  test.each<[string, string, string | null]>([
    ['/ws', '/ws/pkg/cart.py', 'pkg/cart.py'],
    ['/ws/', '/ws/a.py', 'a.py'],
    ['/ws', '/ws', '.'],
    ['/ws', '/ws-evil/secret.py', null],
    ['/ws', '/wsx', null],
    ['/ws', '/etc/passwd', null],
    ['/ws', '/ws/../etc/passwd', null],
    ['/ws', 'pkg/cart.py', null],
    ['/', '/etc/passwd', 'etc/passwd'],
  ])('root %s, path %s -> %s', (root, absolute, expected) => {
    expect(relativeToWorkspace(root, absolute)).toBe(expected);
  });
});

describe('writeWorkspaceFileAtomic', () => {
  const tempFiles = async (): Promise<string[]> =>
    (await readdir(ws, { recursive: true })).filter((name) => name.includes('pymcp-tmp'));

  test('writes the text and keeps the file mode', async () => {
    await writeFile(inWs('pkg/mode.py'), 'old\n');
    await chmod(inWs('pkg/mode.py'), 0o640);
    await writeWorkspaceFileAtomic(ws, 'pkg/mode.py', 'new = "é"\n', LIMITS);
    expect(await readFile(inWs('pkg/mode.py'), 'utf8')).toBe('new = "é"\n');
    expect((await stat(inWs('pkg/mode.py'))).mode & 0o777).toBe(0o640);
    expect(await tempFiles()).toEqual([]);
  });

  test('writes through a symlink inside the workspace and keeps the link', async () => {
    await writeFile(inWs('pkg/target.py'), 'old\n');
    await symlink('pkg/target.py', inWs('write-link.py'));
    await writeWorkspaceFileAtomic(ws, 'write-link.py', 'new\n', LIMITS);
    expect(await readFile(inWs('pkg/target.py'), 'utf8')).toBe('new\n');
    expect((await lstat(inWs('write-link.py'))).isSymbolicLink()).toBe(true);
  });

  test('refuses a symlink leading outside and leaves the outside file alone', async () => {
    const text = await denial(writeWorkspaceFileAtomic(ws, 'link-out.py', 'pwned\n', LIMITS));
    expect(text).toMatch(/link-out\.py is outside the workspace/);
    expect(await readFile(path.join(outside, 'secret.py'), 'utf8')).toBe(`${SECRET}\n`);
    expect((await lstat(inWs('link-out.py'))).isSymbolicLink()).toBe(true);
    expect(await readdir(outside)).toEqual(['secret.py']);
  });

  test('refuses to create a file that does not exist', async () => {
    expect(await denial(writeWorkspaceFileAtomic(ws, 'new.py', 'x\n', LIMITS))).toBe(
      'no such file in the workspace: new.py',
    );
    await expect(stat(inWs('new.py'))).rejects.toThrow(/ENOENT/);
  });

  test('refuses new text over maxBytes and leaves no temp files behind', async () => {
    await writeFile(inWs('small.py'), 'x = 1\n');
    expect(
      await denial(writeWorkspaceFileAtomic(ws, 'small.py', 'x'.repeat(MAX_BYTES + 1), LIMITS)),
    ).toMatch(/small\.py is 1025 bytes, over the 1024-byte limit/);
    expect(await readFile(inWs('small.py'), 'utf8')).toBe('x = 1\n');
    expect(await tempFiles()).toEqual([]);
  });
});
