/**
 * LspClient against deliberately broken language servers (test/fixtures/broken-lsp.js), run in
 * the real bubblewrap sandbox: one that crashes, one that hangs, one that announces a 1 GB
 * message, one that never initializes. The client must restart, time out, cancel, refuse and fail
 * cleanly, and leave no process behind.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { LspClient, type LspSpec } from '../../src/lsp/lsp-client.js';
import { findBwrap } from '../../src/sandbox/sandbox-factory.js';
import { PymcpError } from '../../src/shared/errors.js';
import { probeHostLayout } from '../../src/shared/host-layout.js';
import { silentLogger } from '../../src/shared/log.js';
import { systemEnvironment } from '../../src/shared/python-environment.js';
import { resolvePython } from '../../src/shared/python-runtime.js';
import { descendants, waitGone } from '../helpers/processes.js';

type Mode = 'crash-after-init' | 'hang' | 'huge' | 'no-init';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const START_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 500;
const HOVER = { textDocument: { uri: 'file:///tmp/a.py' }, position: { line: 0, character: 0 } };
const SYMBOLS = { textDocument: { uri: 'file:///tmp/a.py' } };

let base: Omit<LspSpec, 'launch'>;
const clients: LspClient[] = [];

beforeAll(async () => {
  base = {
    bwrap: await findBwrap(),
    layout: await probeHostLayout(),
    hostIds: process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null,
    environment: systemEnvironment(await resolvePython()),
    workspace: null,
    prlimit: null,
    logger: silentLogger,
    startTimeoutMs: START_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxMessageBytes: 1024 * 1024,
    scratchBytes: 16 * 1024 * 1024,
  };
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function broken(mode: Mode): LspClient {
  const client = new LspClient({
    ...base,
    launch: {
      kind: 'pyright',
      mounts: [[FIXTURES, '/opt/fixtures']],
      command: ['/usr/bin/node', '/opt/fixtures/broken-lsp.js', mode],
      describe: `broken-lsp ${mode}`,
    },
  });
  clients.push(client);
  return client;
}

/** Counts restarts; `next()` resolves when the following restart has completed. */
function watchRestarts(client: LspClient) {
  let count = 0;
  let waiter: (() => void) | null = null;
  client.onRestart(() => {
    count += 1;
    waiter?.();
  });
  return {
    get count() {
      return count;
    },
    next: () =>
      new Promise<void>((resolve) => {
        waiter = resolve;
      }),
  };
}

/**
 * The error `promise` rejects with, and how long that took; an Error saying so when it answers
 * instead, or is still pending after `limitMs` (so a hang fails the test instead of stalling it).
 */
async function rejection(
  promise: Promise<unknown>,
  limitMs = 10_000,
): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const error: unknown = await Promise.race([
    promise.then(
      () => new Error('expected a rejection, got an answer'),
      (reason: unknown) => reason,
    ),
    new Promise<Error>((resolve) => {
      timer = setTimeout(() => {
        resolve(new Error(`still pending after ${limitMs} ms`));
      }, limitMs);
    }),
  ]);
  clearTimeout(timer);
  return { error, ms: Date.now() - started };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Seen = { hovers: number[]; cancelled: number[] };

/** close() the client and check that its whole process tree is gone. */
async function closeAndCheck(client: LspClient, mine: readonly number[]): Promise<void> {
  const tree = [...new Set([...mine, ...descendants(process.pid)])];
  await client.close();
  expect(client.currentState).toBe('closed');
  expect(await waitGone(tree)).toEqual([]);
}

describe('a server that crashes', () => {
  test('is restarted after each crash, and marked failed after more than 3', async () => {
    const client = broken('crash-after-init');
    const restarts = watchRestarts(client);
    await client.whenReady();
    const first = descendants(process.pid);
    expect(first.length).toBeGreaterThan(0);

    for (let crash = 1; crash <= 3; crash += 1) {
      const restarted = restarts.next();
      // The crash fails the request at once; it does not wait out the 10 s timeout.
      const { error, ms } = await rejection(
        client.request('textDocument/hover', HOVER, { timeoutMs: 10_000 }),
      );
      expect(error).toBeInstanceOf(PymcpError);
      expect(ms).toBeLessThan(5000);
      await restarted;
      await client.whenReady();
      expect(restarts.count).toBe(crash);
      expect(client.currentState).toBe('ready');
    }
    // The crashed servers are gone, not left behind by the restarts.
    expect(await waitGone(first)).toEqual([]);

    const fourth = await rejection(client.request('textDocument/hover', HOVER));
    expect(fourth.error).toBeInstanceOf(PymcpError);
    expect(client.currentState).toBe('failed');
    const { error } = await rejection(client.request('textDocument/hover', HOVER));
    expect(error).toMatchObject({
      name: 'PymcpError',
      code: 'lsp_unavailable',
      message: expect.stringMatching(/crash-after-init crashed 4 times.*status 3/),
    });
    await expect(client.whenReady()).rejects.toMatchObject({ code: 'lsp_unavailable' });
    expect(restarts.count).toBe(3);
    await closeAndCheck(client, []);
  }, 30_000);
});

describe('a server that hangs', () => {
  test('a request times out with lsp_timeout, is cancelled at the server, and others still work', async () => {
    const client = broken('hang');
    await client.whenReady();
    const mine = descendants(process.pid);
    const started = Date.now();
    const hover = rejection(client.request('textDocument/hover', HOVER), 5000);
    // Answered while the hover hangs.
    expect(await client.request('textDocument/documentSymbol', SYMBOLS)).toEqual([]);
    await delay(REQUEST_TIMEOUT_MS + 300);
    // The timeout reached the server as $/cancelRequest for the hover...
    const seen = await client.request<Seen>('test/cancelled', {});
    expect(seen.hovers).toHaveLength(1);
    expect(seen.cancelled).toEqual(seen.hovers);
    // ...and the caller got lsp_timeout, not a promise that never settles.
    const { error } = await hover;
    expect(error).toMatchObject({
      name: 'PymcpError',
      code: 'lsp_timeout',
      message: expect.stringContaining(`within ${REQUEST_TIMEOUT_MS} ms`),
    });
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    expect(client.currentState).toBe('ready');
    await closeAndCheck(client, mine);
  }, 15_000);

  test('an AbortSignal cancels a hanging request promptly and sends $/cancelRequest', async () => {
    const client = broken('hang');
    await client.whenReady();
    const mine = descendants(process.pid);
    const controller = new AbortController();
    const pending = rejection(
      client.request('textDocument/hover', HOVER, { signal: controller.signal, timeoutMs: 30_000 }),
      5000,
    );
    await delay(100);
    const aborted = Date.now();
    controller.abort();
    const seen = await client.request<Seen>('test/cancelled', {});
    expect(seen.hovers).toHaveLength(1);
    expect(seen.cancelled).toEqual(seen.hovers);
    const { error } = await pending;
    expect(error).toMatchObject({ name: 'PymcpError', message: expect.stringMatching(/cancel/) });
    expect(Date.now() - aborted).toBeLessThan(2000);
    expect(await client.request('textDocument/documentSymbol', SYMBOLS)).toEqual([]);
    await closeAndCheck(client, mine);
  }, 15_000);

  test('a request whose signal is already aborted is not left to run into its timeout', async () => {
    const client = broken('hang');
    await client.whenReady();
    // What happens when the MCP call is cancelled while the bridge is still syncing a document.
    const { error, ms } = await rejection(
      client.request('textDocument/hover', HOVER, { signal: AbortSignal.abort(), timeoutMs: 5000 }),
      8000,
    );
    expect(error).toMatchObject({ name: 'PymcpError', message: expect.stringMatching(/cancel/) });
    expect(ms).toBeLessThan(1000);
    await closeAndCheck(client, []);
  }, 15_000);

  test('close() rejects the pending request and stops the server', async () => {
    const client = broken('hang');
    await client.whenReady();
    const mine = descendants(process.pid);
    const pending = rejection(
      client.request('textDocument/hover', HOVER, { timeoutMs: 30_000 }),
      5000,
    );
    await closeAndCheck(client, mine);
    const { error, ms } = await pending;
    expect(error).toBeInstanceOf(PymcpError);
    expect(ms).toBeLessThan(5000);
    await expect(client.request('textDocument/documentSymbol', SYMBOLS)).rejects.toMatchObject({
      code: 'lsp_unavailable',
      message: expect.stringContaining('shut down'),
    });
  });
});

describe('a server that announces a 1 GB message', () => {
  test('is killed and restarted instead of being buffered', async () => {
    const client = broken('huge');
    const restarts = watchRestarts(client);
    await client.whenReady();
    const first = descendants(process.pid);
    const rss = process.memoryUsage().rss;
    const restarted = restarts.next();
    const { error, ms } = await rejection(
      client.request('textDocument/hover', HOVER, { timeoutMs: 10_000 }),
    );
    expect(error).toBeInstanceOf(PymcpError);
    // Refused when the header arrives, not after waiting out the timeout.
    expect(ms).toBeLessThan(5000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
    await restarted;
    await client.whenReady();
    expect(client.currentState).toBe('ready');
    expect(await waitGone(first)).toEqual([]);
    await closeAndCheck(client, []);
  }, 30_000);
});

describe('a server that never answers initialize', () => {
  test('whenReady rejects with lsp_unavailable after the start timeout, and the server is killed', async () => {
    const client = broken('no-init');
    const started = Date.now();
    client.start();
    await new Promise((resolve) => setTimeout(resolve, START_TIMEOUT_MS / 2));
    const mine = descendants(process.pid);
    expect(mine.length).toBeGreaterThan(0);
    const { error } = await rejection(client.whenReady());
    const ms = Date.now() - started;
    expect(error).toMatchObject({
      name: 'PymcpError',
      code: 'lsp_unavailable',
      message: expect.stringMatching(/broken-lsp no-init did not start: .*initialize/),
    });
    expect(ms).toBeGreaterThanOrEqual(START_TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(START_TIMEOUT_MS + 3000);
    expect(client.currentState).toBe('failed');
    // Killed on the spot: not left running until close().
    expect(await waitGone(mine)).toEqual([]);
    await expect(client.request('textDocument/hover', HOVER)).rejects.toMatchObject({
      code: 'lsp_unavailable',
      message: expect.stringContaining('initialize'),
    });
    await closeAndCheck(client, mine);
  }, 15_000);
});
