/**
 * One sandbox: a bubblewrap process running python/worker.py, driven over the worker protocol.
 * It owns its process tree: close() (or a failed run) kills every process in it.
 */
import type { Readable, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { PymcpError, errorMessage } from '../shared/errors.js';
import { LineSplitter } from '../shared/line-splitter.js';
import type { Logger } from '../shared/log.js';
import { childPids, killSandbox, spawnSandbox, type ChildProcess } from '../shared/process.js';
import { bwrapArgs, sandboxNice, type ProfileSpec } from './profile.js';
import { assertMountsUnchanged } from '../shared/sandbox-description.js';
import type { RunMedia, RunOutcome } from './run-outcome.js';
import {
  NO_OUTPUT,
  type FileAnswer,
  type FileRequest,
  WorkerMessageSchema,
  maxWorkerLineBytes,
  type CapturedOutput,
  type InterruptRequest,
  type RunRequest,
  type WorkerResult,
} from './worker-protocol.js';

export interface SandboxSpec extends ProfileSpec {
  /** Path of the bwrap binary. */
  bwrap: string;
  /** Source of python/worker.py, handed to bwrap through a pipe. */
  workerSource: Buffer;
  /** Sources of the worker's helper modules (profile.ts WORKER_HELPERS), in that order. */
  helperSources: readonly Buffer[];
  /** Host uid/gid the sandbox runs as (set when the server runs as root). */
  hostIds: { uid: number; gid: number } | null;
  startTimeoutMs: number;
  logger: Logger;
}

export interface RunOptions {
  code: string;
  globals: Record<string, unknown> | null;
  timeoutMs: number;
  signal?: AbortSignal;
}

type State = 'starting' | 'idle' | 'running' | 'closed';
type StopReason = 'timeout' | 'cancel';

interface PendingRun {
  id: number;
  startedAt: number;
  options: RunOptions;
  resolve(outcome: RunOutcome): void;
  stopReason: StopReason | null;
  killed: boolean;
  timers: NodeJS.Timeout[];
  onAbort: () => void;
}

interface PendingFile {
  id: number;
  resolve(answer: FileAnswer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** A file request without its id (the sandbox numbers it). */
export type FileOperation = FileRequest extends infer R
  ? R extends FileRequest
    ? Omit<R, 'op' | 'id'>
    : never
  : never;

const DIAGNOSTIC_BYTES = 8 * 1024;

export class Sandbox {
  private state: State = 'starting';
  private readonly child: ChildProcess;
  private readonly socket: Socket;
  private readonly splitter: LineSplitter;
  private diagnostics = '';
  private nextId = 1;
  private pending: PendingRun | null = null;
  private pendingFile: PendingFile | null = null;
  private initPid: number | null = null;
  private readyWaiter: { resolve(): void; reject(error: Error): void } | null = null;
  private exitReason: string | null = null;
  private readonly closed: Promise<void>;
  private readonly closeListeners: Array<() => void> = [];
  pythonVersion = '';

  private constructor(private readonly spec: SandboxSpec) {
    assertMountsUnchanged(spec.environment.mounts);
    this.child = spawnSandbox(spec.bwrap, bwrapArgs(spec), {
      stdio: [
        'ignore',
        'pipe',
        'pipe',
        'pipe',
        'pipe',
        ...spec.helperSources.map(() => 'pipe' as const),
      ],
      hostIds: spec.hostIds,
      // Sandbox start-up too runs below the server's priority, not only the user's code.
      nice: sandboxNice(),
    });
    const [, stdout, stderr, protocol, workerPipe, ...helperPipes] = this.child
      .stdio as unknown as [null, Readable, Readable, Socket, Writable, ...Writable[]];
    this.socket = protocol;
    this.splitter = new LineSplitter(maxWorkerLineBytes(spec.limits), {
      line: (line) => {
        this.onLine(line);
      },
      oversized: (_head, _tail, total) => {
        this.violation(`sent a ${total}-byte message`);
      },
    });
    workerPipe.on('error', () => undefined);
    workerPipe.end(spec.workerSource);
    spec.helperSources.forEach((source, index) => {
      const pipe = helperPipes[index];
      pipe?.on('error', () => undefined);
      pipe?.end(source);
    });
    for (const stream of [stdout, stderr]) {
      stream.on('data', (chunk: Buffer) => {
        if (this.diagnostics.length < DIAGNOSTIC_BYTES) {
          this.diagnostics += chunk
            .toString('utf8')
            .slice(0, DIAGNOSTIC_BYTES - this.diagnostics.length);
        }
      });
    }
    this.socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.onExit(code, signal);
        resolve();
      });
    });
    this.child.on('error', (error) => {
      this.exitReason = `could not start bubblewrap (${spec.bwrap}): ${error.message}`;
      this.readyWaiter?.reject(
        new PymcpError('sandbox_start_failed', this.exitReason, { cause: error }),
      );
    });
  }

  /** Start a sandbox and wait until its worker is ready for code. */
  static async start(spec: SandboxSpec): Promise<Sandbox> {
    const sandbox = new Sandbox(spec);
    try {
      await sandbox.waitReady();
    } catch (error) {
      await sandbox.close();
      throw error;
    }
    return sandbox;
  }

  get isIdle(): boolean {
    return this.state === 'idle';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Called once when the sandbox's processes have all exited. */
  onClose(listener: () => void): void {
    if (this.state === 'closed') listener();
    else this.closeListeners.push(listener);
  }

  run(options: RunOptions): Promise<RunOutcome> {
    if (this.state !== 'idle') {
      return Promise.reject(new PymcpError('sandbox_closed', `the sandbox is ${this.state}`));
    }
    this.state = 'running';
    return new Promise((resolve) => {
      const run: PendingRun = {
        id: this.nextId++,
        startedAt: performance.now(),
        options,
        resolve,
        stopReason: null,
        killed: false,
        timers: [],
        onAbort: () => {
          this.stop(run, 'cancel');
        },
      };
      this.pending = run;
      const request: RunRequest = {
        op: 'run',
        id: run.id,
        code: options.code,
        globals: options.globals,
      };
      this.socket.write(JSON.stringify(request) + '\n');
      run.timers.push(
        setTimeout(() => {
          this.stop(run, 'timeout');
        }, options.timeoutMs),
      );
      if (options.signal?.aborted) this.stop(run, 'cancel');
      else options.signal?.addEventListener('abort', run.onAbort, { once: true });
    });
  }

  /**
   * A file operation in the scratch directory, done by the worker inside the sandbox (so it sees
   * only what the sandbox sees). The worker's answer is hostile input: parsed, bounded, and a
   * worker that does not answer in time is killed.
   */
  file(operation: FileOperation, timeoutMs: number): Promise<FileAnswer> {
    if (this.state !== 'idle') {
      return Promise.reject(new PymcpError('sandbox_closed', `the sandbox is ${this.state}`));
    }
    this.state = 'running';
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.violation(`did not answer a file request within ${timeoutMs} ms`);
      }, timeoutMs);
      this.pendingFile = { id, resolve, reject, timer };
      const request = { op: 'file', id, ...operation } as FileRequest;
      this.socket.write(JSON.stringify(request) + '\n');
    });
  }

  /** Kill every process of the sandbox; resolves once they are gone. Idempotent. */
  async close(): Promise<void> {
    this.kill();
    await this.closed;
  }

  private waitReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new PymcpError(
            'sandbox_start_failed',
            `the sandbox did not start within ${this.spec.startTimeoutMs} ms${this.diagnosticSuffix()}`,
          ),
        );
      }, this.spec.startTimeoutMs);
      this.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  private onLine(line: Buffer): void {
    let message;
    try {
      message = WorkerMessageSchema.parse(JSON.parse(line.toString('utf8')));
    } catch (error) {
      this.violation(`sent an invalid message (${errorMessage(error).slice(0, 200)})`);
      return;
    }
    if (message.type === 'ready') {
      if (this.state !== 'starting') {
        this.violation('sent a second ready message');
        return;
      }
      this.pythonVersion = message.python;
      this.findPids();
      this.state = 'idle';
      this.readyWaiter?.resolve();
      this.readyWaiter = null;
      return;
    }
    if (message.type === 'file') {
      const file = this.pendingFile;
      if (file?.id !== message.id) {
        this.violation(`sent a file answer for request ${message.id}, which is not waiting`);
        return;
      }
      clearTimeout(file.timer);
      this.pendingFile = null;
      this.state = 'idle';
      file.resolve(message);
      return;
    }
    const run = this.pending;
    if (run?.id !== message.id) {
      this.violation(`sent a result for run ${message.id}, which is not running`);
      return;
    }
    this.state = 'idle';
    this.finish(run, this.outcomeOf(run, message));
  }

  /** bwrap (our child) -> the worker, pid 1 of the sandbox (killing it ends the sandbox). */
  private findPids(): void {
    const pid = this.child.pid;
    this.initPid = (pid === undefined ? undefined : childPids(pid)[0]) ?? null;
  }

  private outcomeOf(run: PendingRun, result: WorkerResult): RunOutcome {
    const base = {
      output: outputOf(result),
      durationMs: performance.now() - run.startedAt,
      media: mediaOf(result),
    };
    const error = result.error ?? { type: 'Error', message: '', traceback: '' };
    switch (result.status) {
      case 'completed':
        return { ...base, kind: 'completed', returnValue: result.return_value ?? null };
      case 'interrupted':
        if (run.stopReason === 'timeout') {
          return {
            ...base,
            kind: 'timed_out',
            timeoutSeconds: run.options.timeoutMs / 1000,
            stateKept: true,
            error,
          };
        }
        if (run.stopReason === 'cancel') return { ...base, kind: 'cancelled', stateKept: true };
        return { ...base, kind: 'raised', error };
      case 'raised':
        if (error.type === 'MemoryError') {
          return { ...base, kind: 'memory_limit', error, limitBytes: this.spec.limits.memoryBytes };
        }
        return { ...base, kind: 'raised', error };
    }
  }

  /** Timeout or cancellation: interrupt the code, then kill the sandbox after the grace period. */
  private stop(run: PendingRun, reason: StopReason): void {
    if (this.pending !== run || run.stopReason !== null) return;
    run.stopReason = reason;
    // The worker's reader thread turns this into a KeyboardInterrupt in the run's code (or
    // remembers it, when the code has not started yet); the kill below is the backstop.
    const interrupt: InterruptRequest = { op: 'interrupt', id: run.id };
    this.socket.write(JSON.stringify(interrupt) + '\n');
    const grace = this.spec.limits.interruptGraceMs;
    run.timers.push(
      setTimeout(() => {
        if (this.pending !== run) return;
        this.spec.logger.debug(`run ${run.id} ignored the interrupt; killing its sandbox`);
        run.killed = true;
        this.kill();
      }, grace),
    );
  }

  private violation(what: string): void {
    this.spec.logger.warn(`sandbox worker ${what}; killing it`);
    this.exitReason = `the sandbox broke its protocol: it ${what}`;
    this.kill();
  }

  private kill(): void {
    // Not after exit: the pids may belong to someone else by then.
    if (this.state !== 'closed') killSandbox(this.child.pid, this.initPid);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const wasStarting = this.state === 'starting';
    this.state = 'closed';
    const reason = this.exitReason ?? describeExit(code, signal, this.spec.limits.cpuSeconds);
    if (wasStarting) {
      this.readyWaiter?.reject(
        new PymcpError(
          'sandbox_start_failed',
          `the sandbox exited during start-up: ${reason}${this.diagnosticSuffix()}`,
        ),
      );
      this.readyWaiter = null;
    }
    const file = this.pendingFile;
    if (file !== null) {
      clearTimeout(file.timer);
      this.pendingFile = null;
      file.reject(
        new PymcpError('sandbox_closed', `the sandbox exited during a file operation: ${reason}`),
      );
    }
    const run = this.pending;
    if (run !== null) {
      const base = { output: NO_OUTPUT, durationMs: performance.now() - run.startedAt };
      if (run.stopReason === 'timeout') {
        this.finish(run, {
          ...base,
          kind: 'timed_out',
          timeoutSeconds: run.options.timeoutMs / 1000,
          stateKept: false,
          error: null,
        });
      } else if (run.stopReason === 'cancel') {
        this.finish(run, { ...base, kind: 'cancelled', stateKept: false });
      } else {
        this.finish(run, { ...base, kind: 'killed', reason });
      }
    }
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private finish(run: PendingRun, outcome: RunOutcome): void {
    for (const timer of run.timers) clearTimeout(timer);
    run.options.signal?.removeEventListener('abort', run.onAbort);
    this.pending = null;
    run.resolve(outcome);
  }

  private diagnosticSuffix(): string {
    const text = this.diagnostics.trim();
    return text === '' ? '' : `: ${text}`;
  }
}

function outputOf(result: WorkerResult): CapturedOutput {
  return { chunks: result.output, droppedBytes: result.dropped_bytes, tails: result.tails };
}

function mediaOf(result: WorkerResult): RunMedia | undefined {
  if (
    result.images === undefined &&
    result.images_omitted_count === undefined &&
    result.table === undefined &&
    result.files === undefined
  )
    return undefined;
  return {
    images: result.images ?? [],
    imagesOmitted: result.images_omitted ?? [],
    imagesOmittedCount: result.images_omitted_count ?? 0,
    table: result.table ?? null,
    files: result.files ?? [],
    filesMore: result.files_more ?? 0,
  };
}

/** bwrap exits with the code's exit status, or 128 + the signal that killed it. */
export function describeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  cpuSeconds: number,
): string {
  if (signal !== null) return `the sandbox was killed by ${signal}`;
  if (code === 137) {
    return `the Python process was killed (SIGKILL): the CPU-time limit of ${cpuSeconds} s for this sandbox, or the kernel ran out of memory`;
  }
  if (code === 152)
    return `the Python process hit the CPU-time limit of ${cpuSeconds} s for this sandbox`;
  if (code !== null && code > 128 && code < 160)
    return `the Python process died from signal ${code - 128}`;
  return `the Python process exited with status ${code ?? 'unknown'} (os._exit or a crash)`;
}
