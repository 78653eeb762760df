/**
 * The launcher's code cache, through the built CLI: written once, used after, replaced when V8
 * rejects it, never a reason for a command to fail, and kept out of reach of other users.
 */
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { transformSync } from 'esbuild';
import { runCli, runProgram } from '../helpers/cli.js';
import { until } from '../helpers/http.js';
import { ROOT, startServer, type ServerUnderTest } from '../helpers/mcp-client.js';

let home: string;
let cacheDir: string;
let server: ServerUnderTest | undefined;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'pymcp-cache-home-'));
  cacheDir = path.join(home, 'isolated-pymcp', 'code-cache');
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(home, { recursive: true, force: true });
});

async function runSix(env: Record<string, string> = {}): Promise<void> {
  const result = await runCli(['run', '--json', '-c', 'print(6 * 7)'], {
    env: { XDG_CACHE_HOME: home, ...env },
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('42');
}

async function caches(): Promise<string[]> {
  return (await readdir(cacheDir).catch(() => [])).filter((name) => name.endsWith('.bin'));
}

describe('the code cache', () => {
  test('is written by the first run, in a mode-700 directory, and reused unchanged after', async () => {
    await runSix();
    const [name, ...more] = await caches();
    expect(more).toEqual([]);
    expect(name).toMatch(/^run-[0-9a-f]{32}\.bin$/);
    const file = path.join(cacheDir, name!);
    const first = await stat(file);
    expect(first.mode & 0o777).toBe(0o600);
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    expect(first.size).toBeGreaterThan(10_000);
    await runSix();
    const second = await stat(file);
    expect([second.ino, second.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
  });

  test('that V8 rejects (damaged) costs nothing but a compile, and is replaced', async () => {
    await runSix();
    const [name] = await caches();
    const file = path.join(cacheDir, name!);
    const size = (await stat(file)).size;
    await writeFile(file, Buffer.alloc(size, 0x5a));
    await runSix();
    expect(await caches()).toEqual([name]);
    const replaced = await stat(file);
    expect(replaced.size).toBeGreaterThan(10_000);
    // Not the damaged bytes any more.
    expect((await readFile(file)).every((byte) => byte === 0x5a)).toBe(false);
  });

  test('is neither read nor written with ISOLATED_PYMCP_CACHE=off', async () => {
    await runSix({ ISOLATED_PYMCP_CACHE: 'off' });
    expect(await caches()).toEqual([]);
  });

  test('is not used in a directory others can write: the command still runs', async () => {
    await runSix();
    await chmod(cacheDir, 0o777);
    const [name] = await caches();
    await rm(path.join(cacheDir, name!));
    await runSix();
    expect(await caches()).toEqual([]);
  });

  test('of serve is written while it serves, not only when it exits', async () => {
    server = await startServer([], { env: { XDG_CACHE_HOME: home } });
    const result = await server.client.callTool({
      name: 'run_python_code',
      arguments: { python_code: '6 * 7' },
    });
    expect(JSON.stringify(result.content)).toContain('42');
    await until(
      async () => (await caches()).some((name) => name.startsWith('serve-')),
      20_000,
      'written',
    );
    // The server's start used (and so wrote) the interpreter probe's cache too.
    const probes = await readdir(path.join(home, 'isolated-pymcp', 'python'));
    expect(probes.filter((name) => /^probe-.*\.json$/.test(name))).toHaveLength(1);
  });
});

describe('the launcher', () => {
  test('under --enable-source-maps reports errors at their place in the sources', async () => {
    const source = path.join(home, 'cli.ts');
    await writeFile(
      source,
      "export function fail(): never {\n  throw new Error('here');\n}\nfail();\n",
    );
    const bundle = path.join(home, 'main.cjs');
    const { code } = transformSync(await readFile(source, 'utf8'), {
      format: 'cjs',
      loader: 'ts',
      sourcefile: source,
      sourcemap: 'inline',
    });
    await writeFile(bundle, code);
    const driver = path.join(home, 'launch.mjs');
    const launch = path.join(ROOT, 'dist', 'bundle', 'launch.js');
    await writeFile(
      driver,
      `import { runBundle } from ${JSON.stringify(launch)};\n` +
        `runBundle(${JSON.stringify(bundle)}, ['run']);\n`,
    );
    const result = await runProgram(process.execPath, ['--enable-source-maps', driver], {
      cwd: home,
      env: { XDG_CACHE_HOME: home },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${source}:2:`);
  });
});
