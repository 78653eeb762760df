/**
 * The one module that starts processes. Always an argument array, never a shell; the caller
 * passes the complete environment (nothing is inherited implicitly).
 */
import { execFile, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';

export type { ChildProcess };

export interface SpawnOptions {
  env: Record<string, string>;
  stdio: StdioOptions;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Own process group, so the whole group can be killed at once. */
  detached?: boolean;
  /** Nice value to start at (lower CPU priority); its children inherit it. */
  nice?: number;
}

export function spawnChild(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const child = spawn(command, args, {
    env: options.env,
    stdio: options.stdio,
    cwd: options.cwd,
    uid: options.uid,
    gid: options.gid,
    detached: options.detached ?? false,
    shell: false,
    windowsHide: true,
  });
  if (options.nice !== undefined && child.pid !== undefined) {
    try {
      // Right after exec, before the child forks its own: they start at this priority too.
      setPriority(child.pid, options.nice);
    } catch {
      // Gone already, or not allowed: the sandboxed worker lowers its own priority as well.
    }
  }
  return child;
}

/**
 * Start a bubblewrap sandbox (both kinds start here): in its own process group, so it can be
 * killed whole.
 */
export function spawnSandbox(
  bwrap: string,
  args: readonly string[],
  options: {
    stdio: StdioOptions;
    /** Host uid/gid to run as (set when the server runs as root). */
    hostIds: { uid: number; gid: number } | null;
    nice?: number;
  },
): ChildProcess {
  const child = spawnChild(bwrap, args, {
    // Security: an empty environment. bwrap's own environment shows in /proc/1/environ inside,
    // so --clearenv alone would leak the server's secrets.
    env: {},
    stdio: options.stdio,
    // Security: when the server runs as root, the sandbox still runs as an unprivileged user.
    ...(options.hostIds ?? {}),
    detached: true,
    ...(options.nice !== undefined && { nice: options.nice }),
  });
  if (child.pid !== undefined) {
    try {
      // bwrap itself; it usually forks the sandbox before this lands, so the sandboxed worker
      // raises its own too (and the language server's sandbox keeps bwrap's when it does not).
      writeFileSync(`/proc/${child.pid}/oom_score_adj`, String(SANDBOX_OOM_SCORE_ADJ));
    } catch {
      // Gone already.
    }
  }
  return child;
}

/**
 * Sandboxes are what the kernel's OOM killer takes first when the machine runs out of memory
 * (memory is limited per process, so many processes of one sandbox can add up), before the
 * server or anything else on the host. A preference, not a guarantee: code can lower its own
 * value back to 0 (raising needs no privilege, and the floor that would keep it there can only
 * be set by a privileged write that would race bwrap's fork).
 */
const SANDBOX_OOM_SCORE_ADJ = 1000;

/** SIGKILL the process group led by `pid` (and `pid` itself). Never throws. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined || pid <= 0) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * SIGKILL a bubblewrap sandbox: its pid 1 (given, or found under bwrap in /proc) and bwrap's
 * process group. Security: when the sandbox's pid 1 dies the kernel kills every other process
 * in its pid namespace, so nothing inside outlives this.
 */
export function killSandbox(bwrapPid: number | undefined, initPid?: number | null): void {
  if (bwrapPid === undefined) return;
  const inits = initPid === undefined || initPid === null ? childPids(bwrapPid) : [initPid];
  for (const init of inits) signalProcess(init, 'SIGKILL');
  killGroup(bwrapPid);
}

/** Send `signal` to one process. Returns false when it no longer exists. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Direct children of `pid`, from /proc (Linux). Empty when unknown. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((s) => s.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILL `pid` and every process below it. Each is stopped (SIGSTOP) before its children are
 * read, so none can fork a new one between the reading and the killing. Never throws.
 */
export function killTree(pid: number | undefined): void {
  if (pid === undefined || pid <= 0) return;
  const stopped: number[] = [];
  const stop = (target: number): void => {
    if (!signalProcess(target, 'SIGSTOP')) return;
    stopped.push(target);
    for (const child of childPids(target)) stop(child);
  };
  stop(pid);
  for (const target of stopped) signalProcess(target, 'SIGKILL');
}

/** Every descendant of `pid`, depth first (Linux /proc). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const child of childPids(pid)) out.push(child, ...descendants(child));
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed at the timeout (the command with every process it started). */
  timedOut: boolean;
  error?: Error;
}

/**
 * Run a short command to completion with a hard timeout and bounded output. At the timeout the
 * command and every process it started are killed: a wrapper script's child would otherwise
 * outlive it (execFile's own timeout kills the direct child only).
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: {
    env: Record<string, string>;
    timeoutMs: number;
    maxOutputBytes?: number;
    uid?: number;
    gid?: number;
  },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    let timedOut = false;
    const child = execFile(
      command,
      args,
      {
        env: options.env,
        maxBuffer: options.maxOutputBytes ?? 1 << 20,
        encoding: 'utf8',
        uid: options.uid,
        gid: options.gid,
        shell: false,
      },
      (error, stdout, stderr) => {
        clearTimeout(timer);
        const failure = error as
          (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        resolve({
          exitCode: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
          timedOut,
          ...(failure ? { error: failure } : {}),
        });
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child.pid);
      // A process that left the tree (a daemon) may still hold the pipes: stop waiting for them.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, options.timeoutMs);
    timer.unref();
  });
}
