/** `isolated-pymcp run FILE`: the file is read as Python reads a source file. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, runProgram } from '../helpers/cli.js';
import { BIN } from '../helpers/mcp-client.js';

describe('run FILE', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pymcp-run-file-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, bytes: Buffer | string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, bytes, { mode: 0o644 });
    return file;
  };
  const run = (file: string) =>
    runCli(['run', '--no-workspace', '--lsp', 'off', file], { timeoutMs: 60_000 });

  test('a coding declaration (PEP 263) is honoured, as python3 FILE does', async () => {
    const file = await write(
      'latin1.py',
      Buffer.concat([
        Buffer.from('# -*- coding: latin-1 -*-\nprint("caf'),
        Buffer.from([0xe9]),
        Buffer.from('")\n'),
      ]),
    );
    const result = await run(file);
    expect(result.stdout).toMatch(/<output>\ncafé\n<\/output>/);
    expect(result.code).toBe(0);
  });

  test('a UTF-8 byte-order mark is not part of the code', async () => {
    const file = await write('bom.py', Buffer.from('\ufeffprint("ok")\n', 'utf8'));
    const result = await run(file);
    expect(result.stdout).toMatch(/<output>\nok\n<\/output>/);
  });

  test('bytes that are not UTF-8, with no coding declared, are an error that says so, not replaced', async () => {
    const file = await write(
      'bad.py',
      Buffer.concat([Buffer.from('print("caf'), Buffer.from([0xe9]), Buffer.from('")\n')]),
    );
    const result = await run(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.py is not valid UTF-8 text .*coding/);
    expect(result.stdout).toBe('');
  });

  test('a missing file and a directory get plain messages, not errno codes', async () => {
    const missing = await run(path.join(dir, 'nope.py'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file: .*nope\.py/);
    const directory = await run(dir);
    expect(directory.code).toBe(1);
    expect(directory.stderr).toMatch(/is a directory, not a file/);
    expect(directory.stderr).not.toMatch(/EISDIR/);
  });

  test('a file over the code limit is refused without being read whole, /dev/zero included', async () => {
    const big = await write('big.py', `x = 1\n${'#'.repeat(1024 * 1024)}\n`);
    const result = await run(big);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/big\.py is larger than the 1048576-byte code limit/);
    const endless = await run('/dev/zero');
    expect(endless.code).toBe(1);
    expect(endless.stderr).toMatch(/\/dev\/zero is larger than the 1048576-byte code limit/);
  });

  test('a pipe is read as a file (run /dev/stdin)', async () => {
    const result = await runProgram(
      '/bin/sh',
      [
        '-c',
        `printf 'print(6 * 7)\\n' | "$0" "$1" run --no-workspace --lsp off /dev/stdin`,
        process.execPath,
        BIN,
      ],
      { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/<output>\n42\n<\/output>/);
  });
});
