/**
 * The servers of the load benchmark: `serve --http` spawned here (URL read from its stderr), SDK
 * clients for it, a /proc sampler for the RSS of each server and of its descendants, and the
 * processes a server leaves behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, ROOT } from './mcp-server.js';
import { descendants, isAlive, sleep } from './processes.js';
import { WORKSPACE_FILES } from './load-plan.js';

/** A fresh workspace directory holding WORKSPACE_FILES; its path names this server's sandboxes. */
export async function createWorkspace(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(WORKSPACE_FILES))
    await writeFile(path.join(dir, name), text);
  // The sandbox runs as nobody when the bench runs as root: the files must be world-readable.
  await chmod(dir, 0o755);
  return dir;
}

export interface HttpServerProcess {
  pid: number;
  url: string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs: number): Promise<{ ms: number; how: string }>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

const STDERR_KEEP = 64 * 1024;

/** Spawn `bin/isolated-pymcp serve --http --port 0 ...` and wait for "serving MCP on URL". */
export async function startHttpServer(
  args: readonly string[],
  startTimeoutMs: number,
): Promise<HttpServerProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--http', '--port', '0', '--log-level', 'warn', ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'ignore', 'pipe'],
      shell: false,
    },
  );
  let stderr = '';
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(signal === null ? `exit ${code}` : signal);
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`serve --http did not print its URL in ${startTimeoutMs} ms:\n${stderr}`));
    }, startTimeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
      const found = /serving MCP on (\S+)/.exec(stderr)?.[1];
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('error', reject);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`serve --http ended (${how}) before listening:\n${stderr}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('serve --http has no pid');
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    pid,
    url,
    stderr: () => stderr,
    async stop(graceMs) {
      const started = performance.now();
      if (!running()) return { ms: 0, how: `had already ended (${await exited})` };
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const how = await exited;
      clearTimeout(timer);
      return { ms: performance.now() - started, how: how === 'exit 0' ? 'SIGTERM, exit 0' : how };
    },
    kill() {
      if (running()) child.kill('SIGKILL');
    },
  };
}

export interface HttpClient {
  client: Client;
  /** End the MCP session (DELETE) and close the transport; bounded by `timeoutMs`. */
  disconnect(timeoutMs: number): Promise<void>;
}

export async function connectHttp(url: string, token: string): Promise<HttpClient> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'isolated-pymcp-load-bench', version: '0.0.0' });
  await client.connect(transport);
  return {
    client,
    async disconnect(timeoutMs) {
      const bounded = (work: Promise<void>): Promise<void> =>
        Promise.race([work.catch(() => undefined), sleep(timeoutMs)]);
      await bounded(transport.terminateSession());
      await bounded(client.close());
    },
  };
}

/** VmRSS of `pid` in KiB, or null when it has gone. Cheaper than processMemory (no smaps). */
export function rssKib(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return null;
  }
}

/** VmHWM (peak resident set over the process's life) of `pid` in KiB, or null when gone. */
export function hwmKib(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return null;
  }
}

export interface TreePeaks {
  /** Largest VmRSS of the server process itself seen by a sample. */
  serverKib: number;
  /** Largest sum of VmRSS over its descendants in one sample, and the most descendants at once. */
  descendantsKib: number;
  descendantsCount: number;
  /** Every descendant any sample saw, with its start time (so a reused pid is not taken for it). */
  seen: Map<number, number>;
}

/** Start time of `pid` in clock ticks after boot (field 22 of /proc/PID/stat), or null. */
export function startTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return null;
  }
}

/** The processes of `seen` that are still alive and still the process that was seen. */
export function stillAlive(seen: ReadonlyMap<number, number>): number[] {
  return [...seen]
    .filter(([pid, start]) => isAlive(pid) && startTime(pid) === start)
    .map(([pid]) => pid);
}

/** Samples the RSS of each server and its descendants every `intervalMs` until stopped. */
export class TreeSampler {
  readonly peaks = new Map<number, TreePeaks>();
  /** Largest sum over all servers and their descendants in one sample. */
  togetherKib = 0;
  samples = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly servers: readonly number[]) {
    for (const pid of servers)
      this.peaks.set(pid, {
        serverKib: 0,
        descendantsKib: 0,
        descendantsCount: 0,
        seen: new Map(),
      });
  }

  start(intervalMs: number): void {
    this.sample();
    this.timer = setInterval(() => {
      this.sample();
    }, intervalMs);
    this.timer.unref();
  }

  /** One more sample (so the last moment counts), then stop. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  sample(): void {
    let together = 0;
    for (const pid of this.servers) {
      const peaks = this.peaks.get(pid)!;
      const own = rssKib(pid);
      if (own === null) continue;
      const below = descendants(pid);
      let sum = 0;
      for (const child of below) {
        if (!peaks.seen.has(child)) {
          const start = startTime(child);
          if (start !== null) peaks.seen.set(child, start);
        }
        sum += rssKib(child) ?? 0;
      }
      peaks.serverKib = Math.max(peaks.serverKib, own);
      peaks.descendantsKib = Math.max(peaks.descendantsKib, sum);
      peaks.descendantsCount = Math.max(peaks.descendantsCount, below.length);
      together += own + sum;
    }
    this.togetherKib = Math.max(this.togetherKib, together);
    this.samples += 1;
  }
}

/**
 * Processes whose command line has `dir` as an argument: the outer bwrap of every sandbox and
 * language server started with --workspace dir (and its bwrap, with the server as pid 1 inside), and
 * nothing of another run or another worktree.
 */
export function processesNaming(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes(dir) && isAlive(pid)) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
