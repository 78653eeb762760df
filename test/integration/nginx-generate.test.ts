/**
 * deploy/nginx/generate.js against the real nginx: what it accepts loads (`nginx -t`) and routes
 * each session id to the replica its prefix names; what it refuses (text that would be read as
 * nginx syntax, an impossible port) never reaches a configuration. The replicas here are small
 * HTTP servers that answer with their own name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runProgram, type CliResult } from '../helpers/cli.js';
import { freePort } from '../helpers/http.js';
import { ROOT } from '../helpers/mcp-client.js';

const NGINX = '/usr/sbin/nginx';
const GENERATE = path.join(ROOT, 'deploy/nginx/generate.js');

/** Run a program with this test's environment (nginx and node need nothing else). */
function run(file: string, args: readonly string[]): Promise<CliResult> {
  return runProgram(file, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
}

/** An HTTP server on loopback that answers every request with `name`. */
async function fakeReplica(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Generate a whole nginx.conf for `replicas` (name -> port), check it, and run nginx on it. */
async function nginxFor(replicas: Record<string, number>): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pymcp-nginx-gen-'));
  // nginx's workers run as nobody when the test runs as root: they must reach the temp dirs.
  await chmod(dir, 0o755);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const listen = await freePort();
  const generated = await run(process.execPath, [
    GENERATE,
    ...Object.entries(replicas).flatMap(([name, port]) => [
      '--replica',
      `${name}=127.0.0.1:${port}`,
    ]),
    '--listen',
    `127.0.0.1:${listen}`,
    '--runtime-dir',
    dir,
  ]);
  expect(generated.stderr).toBe('');
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, generated.stdout);
  const checked = await run(NGINX, ['-t', '-p', dir, '-c', conf, '-e', path.join(dir, 'e.log')]);
  expect(checked.stderr).toContain('test is successful');
  const nginx: ChildProcess = spawn(
    NGINX,
    ['-p', dir, '-c', conf, '-e', path.join(dir, 'e.log'), '-g', 'daemon off;'],
    { stdio: 'ignore' },
  );
  cleanups.push(async () => {
    if (nginx.exitCode !== null) return;
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${listen}/`);
      return listen;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function postAs(port: number, sessionId: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'mcp-session-id': sessionId },
    body: '{}',
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: await response.text() };
}

describe('deploy/nginx/generate.js with the real nginx', () => {
  test.each(['new', 'unknown'])(
    'a replica named %j (a name the configuration also uses) loads and gets its own sessions',
    async (name) => {
      const named = await fakeReplica(name);
      const other = await fakeReplica('r2');
      for (const { server } of [named, other]) {
        cleanups.push(
          () =>
            new Promise((resolve) => {
              server.close(() => {
                resolve();
              });
            }),
        );
      }
      const port = await nginxFor({ [name]: named.port, r2: other.port });
      expect(await postAs(port, `${name}.0f8e`)).toEqual({ status: 200, body: name });
      expect(await postAs(port, 'r2.0f8e')).toEqual({ status: 200, body: 'r2' });
      expect((await postAs(port, 'r3.0f8e')).status).toBe(404);
    },
  );

  test.each([
    ['a newline after the address', ['--replica', 'r1=127.0.0.1:9001\nserver 10.0.0.1:80']],
    ['a semicolon in the address', ['--replica', 'r1=127.0.0.1:9001;']],
    ['a brace in the name', ['--replica', 'r1}=127.0.0.1:9001']],
    ['a space and a parameter', ['--replica', 'r1=127.0.0.1:9001 backup']],
    ['an upper-case name', ['--replica', 'R1=127.0.0.1:9001']],
    ['a listen address with a parameter', ['--replicas', '1', '--listen', '127.0.0.1:80 ssl']],
    ['a runtime dir with a semicolon', ['--replicas', '1', '--runtime-dir', '/tmp/x;y']],
    // Ports nginx itself refuses: the output would fail `nginx -t`.
    ['a replica port above 65535', ['--replica', 'r1=127.0.0.1:99999']],
    ['a replica port 0', ['--replica', 'r1=127.0.0.1:0']],
    ['a listen port above 65535', ['--replicas', '1', '--listen', '127.0.0.1:70000']],
  ])('refuses %s, writing nothing', async (_what, args) => {
    const result = await run(process.execPath, [GENERATE, ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^generate\.js: /);
  });
});
