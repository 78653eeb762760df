/**
 * The npm package as a user gets it: `npm pack` of the built tree, installed from the tarball into
 * an empty project and into a global prefix, then run. Catches a package that lacks the bundle,
 * the worker or the algorithms, ships the development tree, or finds its own files only from a
 * clone. Needs the npm registry or the local npm cache for pyright, its one dependency.
 */
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram, type CliResult } from '../helpers/cli.js';
import { ROOT, startServer, textOf } from '../helpers/mcp-client.js';

/** Run with a clean environment, as a user's shell has: no npm_config_* from the test runner's npm. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number },
): Promise<CliResult> {
  return runProgram(command, args, {
    ...options,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
  });
}

/** Fails with npm's output, which says why (registry, cache, permissions). */
function ok(result: CliResult, what: string): CliResult {
  if (result.code !== 0) {
    throw new Error(`${what} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

const INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

let scratch: string | undefined;
let tarball: string;
let packed: string[];
/** The installed package's bin, in a project and in a global prefix. */
let projectBin: string;
let globalBin: string;
let project: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pymcp-package-'));
  scratch = dir;
  // The sandbox runs as uid 65534 under root: it must reach the workspace (the project).
  await chmod(dir, 0o755);
  // --ignore-scripts: the tree is already built (global setup); prepack would rebuild it under
  // the feet of the other test files.
  const pack = ok(
    await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
    }),
    'npm pack',
  );
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: { path: string }[] }>;
  if (info === undefined) throw new Error(`npm pack printed no package: ${pack.stdout}`);
  tarball = path.join(dir, info.filename);
  packed = info.files.map((f) => f.path);

  project = path.join(dir, 'project');
  const prefix = path.join(dir, 'global');
  await Promise.all([mkdir(project), mkdir(prefix)]);
  await writeFile(
    path.join(project, 'package.json'),
    '{ "name": "user-project", "private": true }',
  );
  await Promise.all([
    run('npm', [...INSTALL, tarball], { cwd: project }).then((r) => ok(r, 'npm install')),
    run('npm', [...INSTALL, '--global', '--prefix', prefix, tarball], { cwd: dir }).then((r) =>
      ok(r, 'npm install --global'),
    ),
  ]);
  projectBin = path.join(project, 'node_modules/.bin/isolated-pymcp');
  globalBin = path.join(prefix, 'bin/isolated-pymcp');
}, 180_000);

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the bundle, the worker, the algorithms and the license, and nothing of the development tree', async () => {
    const bundle = (await readdir(path.join(ROOT, 'dist/bundle'))).filter((f) => /\.c?js$/.test(f));
    const python = (await readdir(path.join(ROOT, 'python'))).filter((f) => f.endsWith('.py'));
    const algorithms = (await readdir(path.join(ROOT, 'algorithms'))).filter((f) =>
      f.endsWith('.py'),
    );
    expect(packed).toContain('bin/isolated-pymcp');
    expect(packed).toContain('package.json');
    // package.json says MIT; the license text travels with the code.
    expect(packed).toContain('LICENSE');
    expect(await readFile(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 the isolated-pymcp authors\n/,
    );
    // The CLI's one CommonJS file and the launcher that runs it with the code cache.
    expect(bundle.sort()).toEqual(['launch.js', 'main.cjs']);
    for (const file of bundle) expect(packed).toContain(`dist/bundle/${file}`);
    for (const file of python) expect(packed).toContain(`python/${file}`);
    for (const file of algorithms) expect(packed).toContain(`algorithms/${file}`);
    const development = packed.filter(
      (file) =>
        /^(src|test|bench|reports|scripts|docs|node_modules|dist\/(?!bundle\/))/.test(file) ||
        /\.(ts|map)$/.test(file) ||
        file.includes('__pycache__'),
    );
    expect(development).toEqual([]);
  });

  it('depends only on pyright: the bundle inlines the rest', async () => {
    const manifest = JSON.parse(
      await readFile(path.join(project, 'node_modules/isolated-pymcp/package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['pyright']);
    const installed = await readdir(path.join(project, 'node_modules'));
    expect(installed).not.toContain('zod');
    expect(installed).not.toContain('@modelcontextprotocol');
  });

  it('installed in a project: doctor passes every check, pyright included', async () => {
    const result = await run(process.execPath, [projectBin, 'doctor'], { cwd: project });
    expect(result.stdout).toContain('All checks passed.');
    expect(result.code).toBe(0);
    // pyright is found in the project's node_modules, next to the package.
    expect(result.stdout).toContain(path.join(project, 'node_modules/pyright'));
  }, 120_000);

  it('installed in a project: run -c runs Python in the sandbox', async () => {
    const result = ok(
      await run(process.execPath, [projectBin, 'run', '--json', '-c', 'print(6*7)'], {
        cwd: project,
      }),
      'run -c',
    );
    const outcome = JSON.parse(result.stdout) as { status: string; stdout: string };
    expect(outcome).toMatchObject({ status: 'completed', stdout: '42\n' });
  }, 60_000);

  it('installed globally: run -c works through the bin symlink, and analyze finds its algorithms', async () => {
    const ran = ok(
      await run(globalBin, ['run', '--json', '-c', 'import sys; sys.version_info[0]'], {
        cwd: project,
      }),
      'run -c (global)',
    );
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'completed', return_value: 3 });
    const list = ok(await run(globalBin, ['analyze', '--list'], { cwd: project }), 'analyze');
    expect(list.stdout).toMatch(/^fibonacci\s/m);
  }, 60_000);

  it('from the tarball with npx: doctor passes every check (as root, pyright runs from a copy the sandbox can read)', async () => {
    const root = process.getuid?.() === 0;
    const version = (
      JSON.parse(
        await readFile(path.join(project, 'node_modules/pyright/package.json'), 'utf8'),
      ) as { version: string }
    ).version;
    // The copy is made by this run, not left by an earlier one.
    if (root)
      await rm(`/var/cache/isolated-pymcp/pyright-${version}`, { recursive: true, force: true });
    const result = await run('npx', ['-y', `./${path.basename(tarball)}`, 'doctor'], {
      cwd: path.dirname(tarball),
    });
    expect(result.stdout).toContain('All checks passed.');
    expect(result.code).toBe(0);
    // npx unpacks under $HOME/.npm: /root is mode 700, out of the sandbox uid's reach.
    if (root)
      expect(result.stdout).toContain(`/var/cache/isolated-pymcp/pyright-${version}, a copy of`);
  }, 180_000);

  it('installed in a project: serve answers run_python_code over MCP stdio', async () => {
    const server = await startServer([], { cwd: project, bin: projectBin });
    try {
      const result = await server.run('6*7');
      expect(result.isError).not.toBe(true);
      expect(result.structuredContent).toMatchObject({ status: 'completed', return_value: 42 });
      expect(textOf(result)).toContain('42');
    } finally {
      expect(await server.close()).toEqual([]);
    }
  }, 60_000);
});
