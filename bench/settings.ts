/** What the benchmark runs, how often, and the figures it is judged against. */

export const PYTHON = '/usr/bin/python3';
export const BWRAP = '/usr/bin/bwrap';

/** As the product does: under root the sandbox runs as nobody. */
export const SANDBOX_IDS: { uid?: number; gid?: number } =
  process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** The core of src/sandbox/profile.ts: namespaces, read-only /usr, /proc, /dev; no worker. */
export const BWRAP_ARGS = [
  '--unshare-all',
  '--unshare-user',
  '--disable-userns',
  '--die-with-parent',
  '--new-session',
  '--ro-bind',
  '/usr',
  '/usr',
  '--symlink',
  'usr/lib',
  '/lib',
  '--symlink',
  'usr/lib64',
  '/lib64',
  '--symlink',
  'usr/bin',
  '/bin',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
  PYTHON,
  '-I',
  '-c',
  'print(1+1)',
];

export const RUNS = {
  /** Server processes started per configuration (table 1). */
  spawn: 10,
  /** Bare process spawns per baseline (tables 1 and 1b). */
  baseline: 20,
  warmup: 20,
  warm: 300,
  fresh: 30,
  newSession: 20,
  fib: 11,
};

/** The server's default --pool-size, which the benchmark does not change. */
export const POOL_SIZE = 2;

/** Pause that lets the pool of 2 refill between fresh calls and between new sessions. */
export const REFILL_PAUSE_MS = 300;

export const TARGETS = {
  warmP50Ms: 2,
  newSessionP50Ms: 20,
  spawnP50Ms: 500,
  /** Spawn -> first result of `serve`, as a multiple of a bare `node -e` (issue 12). */
  spawnVsNode: 3,
  fibRatio: 1.2,
};

/** pydantic mcp-run-python's published figures (not run here: not installed, no network). */
export const MCP_RUN_PYTHON = { warm: '~5 ms', spawn: '~3.9 s', fib: '~23 ms' };

export const FIB_CODE = [
  'import time',
  'def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)',
  't = time.perf_counter()',
  'fib(25)',
  '(time.perf_counter() - t) * 1000',
].join('\n');

export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}
