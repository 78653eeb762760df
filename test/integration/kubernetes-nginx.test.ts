/**
 * The nginx configurations in deploy/kubernetes/ (the router and the server pods' sidecar), run
 * by the real nginx: both load, and the router answers 404 (the spec's sign to start a new
 * session), not a hang, for a session whose replica does not resolve or is not a replica.
 * The cluster's DNS server is replaced by a loopback address where nothing answers.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/mcp-client.js';

const NGINX = '/usr/sbin/nginx';

async function nginxConf(manifest: string): Promise<string> {
  const text = await readFile(path.join(ROOT, 'deploy/kubernetes', manifest), 'utf8');
  for (const doc of parseAllDocuments(text)) {
    const value = doc.toJS() as { kind?: string; data?: Record<string, string> };
    const conf = value.kind === 'ConfigMap' ? value.data?.['nginx.conf'] : undefined;
    if (conf !== undefined) return conf;
  }
  throw new Error(`${manifest} has no nginx.conf`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

function nginxTest(prefix: string, conf: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(NGINX, ['-t', '-p', prefix, '-c', conf], (error, _stdout, stderr) => {
      resolve(error === null ? 'ok' : stderr);
    });
  });
}

describe('deploy/kubernetes nginx configurations', () => {
  let dir = '';
  let port = 0;
  let router: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pymcp-k8s-nginx-'));
    await chmod(dir, 0o755);
    port = await freePort();
    // Here: a resolver on loopback where nothing listens, and a free port to listen on.
    const conf = (await nginxConf('router.yaml'))
      .replace(/resolver [^;]*;/, 'resolver 127.0.0.1:9 valid=1s;')
      .replace(/resolver_timeout [^;]*;/, 'resolver_timeout 1s;')
      .replace('listen 8080;', `listen 127.0.0.1:${port};`)
      .replaceAll('/tmp/', `${dir}/`)
      .replace('access_log /dev/stdout;', 'access_log off;');
    await writeFile(path.join(dir, 'router.conf'), conf);
    router = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'router.conf'), '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await fetch(`http://127.0.0.1:${port}/`);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(async () => {
    if (router?.pid !== undefined && router.exitCode === null) {
      const exited = new Promise((r) => router?.once('exit', r));
      router.kill('SIGQUIT');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['router.yaml', 'server.yaml'])('%s: nginx loads the configuration', async (name) => {
    const conf = path.join(dir, `check-${name}.conf`);
    await writeFile(
      conf,
      (await nginxConf(name))
        .replace(/resolver [^;]*;/, 'resolver 127.0.0.1;')
        .replaceAll('/tmp/', `${dir}/`)
        // stdout is not a pipe under the test runner, as it is in a pod.
        .replace('access_log /dev/stdout;', 'access_log off;'),
    );
    expect(await nginxTest(dir, conf)).toBe('ok');
  });

  const post = (sessionId: string) =>
    fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      signal: AbortSignal.timeout(20_000),
    });

  it('answers 404 for a session whose replica cannot be reached', async () => {
    const response = await post('isolated-pymcp-7.8f0c2a');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: 'Session not found' } });
  });

  it('answers 404 for a session id that names no replica', async () => {
    expect((await post('../../etc/passwd')).status).toBe(404);
    expect((await post('isolated-pymcp-')).status).toBe(404);
  });

  it('serves nothing but /mcp', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
  });
});
