/**
 * Runs code: each call without a session in a fresh sandbox (from the pool, thrown away after),
 * each call with a session in that session's sandbox. Enforces the concurrency cap, session
 * ownership, the session cap and idle expiry.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../shared/config.js';
import { PymcpError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { SandboxPool } from './pool.js';
import { RunQueue, type QueueState } from './run-queue.js';
import { sandboxSurvived, type RunOutcome } from './run-outcome.js';
import type { FileOperation, Sandbox } from './sandbox-process.js';
import type { FileAnswer } from './worker-protocol.js';

/** How long the worker gets to answer a file request before its sandbox is killed. */
const FILE_TIMEOUT_MS = 15_000;

export interface ExecuteRequest {
  code: string;
  globals: Record<string, unknown> | null;
  /** Who is asking: sessions are visible only to the connection that created them. */
  owner: string;
  sessionId?: string | undefined;
  timeoutSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Told while the call waits for a run slot (for progress notifications). */
  onQueued?: ((state: QueueState) => void) | undefined;
}

export interface ExecuteResult {
  outcome: RunOutcome;
  sessionId: string | null;
  /** Something the model should know besides the outcome (e.g. the session lost its state). */
  notice: string | null;
}

export interface SessionInfo {
  session_id: string;
  created_at: string;
  last_used_at: string;
  runs: number;
  running: boolean;
  idle_expires_in_seconds: number;
}

export interface ExecutorStats {
  /** The pool has started a sandbox and its latest start succeeded. */
  poolWarm: boolean;
  sandboxesAlive: number;
  /** Calls holding a run slot. */
  runsInProgress: number;
  /** Calls waiting for a run slot. */
  runsQueued: number;
  /** Python sessions open. */
  sessions: number;
}

interface Session {
  id: string;
  owner: string;
  sandbox: Sandbox | null;
  /** Why the sandbox was lost, reported on the next call. */
  lostState: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  runs: number;
  running: boolean;
  /** The call in progress and its cancellation signal (a file operation has none). */
  current: { done: Promise<unknown>; signal: AbortSignal | undefined; file?: true } | null;
  expiry: NodeJS.Timeout;
}

export class Executor {
  private readonly pool: SandboxPool;
  private readonly sessions = new Map<string, Session>();
  private readonly closing = new Set<Promise<void>>();
  private readonly queue: RunQueue;
  private closed = false;
  /** Sandboxes started and not yet exited: pooled, in sessions and running fresh calls. */
  private alive = 0;

  constructor(
    private readonly config: Config,
    startSandbox: () => Promise<Sandbox>,
    private readonly logger: Logger,
  ) {
    const counted = async (): Promise<Sandbox> => {
      const sandbox = await startSandbox();
      this.alive += 1;
      sandbox.onClose(() => {
        this.alive -= 1;
      });
      return sandbox;
    };
    this.pool = new SandboxPool(counted, config.poolSize, logger);
    const slots = config.maxConcurrentRuns;
    this.queue = new RunQueue({
      slots,
      perClient: config.maxRunsPerClient ?? Math.max(1, slots - 1),
      maxQueued: config.maxQueuedRuns,
    });
  }

  /** What a health check or a metrics scrape reports. */
  get stats(): ExecutorStats {
    const { running, queued } = this.queue.stats;
    return {
      poolWarm: this.pool.isWarm,
      sandboxesAlive: this.alive,
      runsInProgress: running,
      runsQueued: queued,
      sessions: this.sessions.size,
    };
  }

  /** Begin warming the pool in the background. */
  start(): void {
    this.pool.warm();
  }

  async run(request: ExecuteRequest): Promise<ExecuteResult> {
    this.assertOpen();
    const session =
      request.sessionId === undefined ? null : this.session(request.owner, request.sessionId);
    if (session) await this.claim(session);
    const work = this.queued(session, request);
    if (session) session.current = { done: work.catch(() => undefined), signal: request.signal };
    try {
      return await work;
    } finally {
      if (session) {
        session.running = false;
        session.current = null;
        this.touch(session);
      }
    }
  }

  /** Wait for a run slot (as long as the call itself may run; the wait is not charged to it). */
  private async queued(session: Session | null, request: ExecuteRequest): Promise<ExecuteResult> {
    const release = await this.queue.acquire(request.owner, {
      waitMs: this.timeoutSeconds(request) * 1000,
      signal: request.signal,
      onWait: request.onQueued,
    });
    try {
      this.assertOpen();
      return await (session ? this.runInSession(session, request) : this.runFresh(request));
    } finally {
      release();
    }
  }

  /**
   * Make the session this call's: calls in one session run one at a time. A client that
   * cancelled a call gets no response to wait for, so a call right after it must not be refused:
   * wait (bounded by the interrupt grace period and the kill) for the cancelled call to settle.
   * The last check and the claim happen together, so two calls racing for a session after a
   * cancel cannot both get it.
   */
  private async claim(session: Session): Promise<void> {
    while (session.running) {
      const current = session.current;
      // A file operation (download_file, or a resources/list the client sent on its own) is
      // short and bounded (FILE_TIMEOUT_MS, then its sandbox is killed): wait for it too.
      const file = current?.file === true;
      if (current === null || (!file && current.signal?.aborted !== true)) {
        throw new PymcpError(
          'busy',
          `session ${session.id} already has a call running or waiting for a run slot; calls in one session run one at a time, so wait for it to finish`,
        );
      }
      const bound = (file ? FILE_TIMEOUT_MS : this.config.limits.interruptGraceMs) + 5000;
      await Promise.race([
        current.done,
        new Promise((resolve) => setTimeout(resolve, bound).unref()),
      ]);
      if (session.current === current) {
        throw new PymcpError(
          'busy',
          file
            ? `session ${session.id} is still busy with a file operation; retry in a moment`
            : `session ${session.id} is still stopping a cancelled call; retry in a moment`,
        );
      }
    }
    session.running = true;
  }

  /**
   * A file operation in a session's scratch directory, done by its worker inside the sandbox.
   * It takes the session like a call does (a call running in it makes this busy), not a run slot.
   */
  async file(owner: string, id: string, operation: FileOperation): Promise<FileAnswer> {
    this.assertOpen();
    const session = this.session(owner, id);
    await this.claim(session);
    const work = (async () => {
      const sandbox = session.sandbox;
      if (sandbox === null || !sandbox.isIdle) {
        throw new PymcpError(
          'sandbox_closed',
          `session ${id} has no files right now: ${session.lostState ?? 'its sandbox is gone'}; the next run_python_code call starts it over`,
        );
      }
      return await sandbox.file(operation, FILE_TIMEOUT_MS);
    })();
    session.current = { done: work.catch(() => undefined), signal: undefined, file: true };
    try {
      return await work;
    } finally {
      session.running = false;
      session.current = null;
      this.touch(session);
    }
  }

  async createSession(owner: string): Promise<SessionInfo> {
    this.assertOpen();
    if (this.sessions.size >= this.config.maxSessions) {
      throw new PymcpError(
        'session_limit',
        `the server already holds ${this.sessions.size} sessions (limit ${this.config.maxSessions}); close one with close_session`,
      );
    }
    const id = `s-${randomBytes(9).toString('base64url')}`;
    const now = new Date();
    const session: Session = {
      id,
      owner,
      sandbox: null,
      lostState: null,
      createdAt: now,
      lastUsedAt: now,
      runs: 0,
      running: false,
      current: null,
      expiry: this.expiryTimer(id),
    };
    this.sessions.set(id, session);
    try {
      this.attach(session, await this.pool.take());
    } catch (error) {
      this.drop(session);
      throw error;
    }
    return this.info(session);
  }

  listSessions(owner: string): SessionInfo[] {
    return [...this.sessions.values()].filter((s) => s.owner === owner).map((s) => this.info(s));
  }

  /** Throw away a session's state: its sandbox is replaced by a fresh one. */
  async resetSession(owner: string, id: string): Promise<SessionInfo> {
    const session = this.session(owner, id);
    if (session.running)
      throw new PymcpError('busy', `session ${id} is running a call; wait for it or cancel it`);
    // Busy while the new sandbox comes: a second reset or a run must not attach one meanwhile.
    session.running = true;
    try {
      const old = session.sandbox;
      session.sandbox = null;
      if (old) this.dispose(old);
      this.attach(session, await this.pool.take());
    } finally {
      session.running = false;
    }
    session.lostState = null;
    session.runs = 0;
    this.touch(session);
    return this.info(session);
  }

  closeSession(owner: string, id: string): void {
    this.drop(this.session(owner, id));
  }

  /** A connection went away: close every session it owns. */
  closeOwner(owner: string): void {
    for (const session of [...this.sessions.values()]) {
      if (session.owner === owner) this.drop(session);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const session of [...this.sessions.values()]) this.drop(session);
    await this.pool.close();
    await Promise.all([...this.closing]);
  }

  private async runFresh(request: ExecuteRequest): Promise<ExecuteResult> {
    const sandbox = await this.pool.take();
    try {
      const outcome = await sandbox.run(this.runOptions(request));
      return { outcome, sessionId: null, notice: null };
    } finally {
      // Security: a fresh sandbox serves exactly one call; nothing carries over to the next.
      this.dispose(sandbox);
    }
  }

  private async runInSession(session: Session, request: ExecuteRequest): Promise<ExecuteResult> {
    let notice: string | null = null;
    if (session.sandbox === null || !session.sandbox.isIdle) {
      notice = session.lostState ?? 'the session started over in a new sandbox';
      session.lostState = null;
      this.attach(session, await this.pool.take());
    }
    const sandbox = session.sandbox;
    if (sandbox === null)
      throw new PymcpError('sandbox_closed', `session ${session.id} has no sandbox`);
    const outcome = await sandbox.run(this.runOptions(request));
    session.runs += 1;
    if (!sandboxSurvived(outcome)) {
      session.sandbox = null;
      session.lostState = null;
      this.dispose(sandbox);
      notice = joinNotices(
        notice,
        `the session's sandbox was killed, so its variables, imports and files are gone; the next call in session ${session.id} starts fresh`,
      );
    }
    return { outcome, sessionId: session.id, notice };
  }

  private timeoutSeconds(request: ExecuteRequest): number {
    return Math.min(
      request.timeoutSeconds ?? this.config.limits.timeoutSeconds,
      this.config.limits.maxTimeoutSeconds,
    );
  }

  private runOptions(request: ExecuteRequest) {
    return {
      code: request.code,
      globals: request.globals,
      timeoutMs: this.timeoutSeconds(request) * 1000,
      signal: request.signal,
    };
  }

  private attach(session: Session, sandbox: Sandbox): void {
    if (!this.sessions.has(session.id)) {
      this.dispose(sandbox);
      throw new PymcpError('session_not_found', `session ${session.id} was closed`);
    }
    // Security: a sandbox replaced here is killed, never left running unowned.
    if (session.sandbox !== null && session.sandbox !== sandbox) this.dispose(session.sandbox);
    session.sandbox = sandbox;
    sandbox.onClose(() => {
      if (session.sandbox === sandbox && !session.running) {
        session.sandbox = null;
        session.lostState =
          "the session's sandbox exited between calls (did the code call os._exit or kill itself?), so the session started over";
      }
    });
  }

  /** The caller's session, or an error that does not reveal whether another owner has it. */
  private session(owner: string, id: string): Session {
    const session = this.sessions.get(id);
    if (session?.owner !== owner) {
      throw new PymcpError(
        'session_not_found',
        `no session ${JSON.stringify(id.slice(0, 64))} for this connection; create one with create_session (sessions close after ${this.config.sessionIdleSeconds} s idle)`,
      );
    }
    return session;
  }

  private touch(session: Session): void {
    session.lastUsedAt = new Date();
    clearTimeout(session.expiry);
    session.expiry = this.expiryTimer(session.id);
  }

  private expiryTimer(id: string): NodeJS.Timeout {
    return setTimeout(() => {
      const session = this.sessions.get(id);
      if (session === undefined) return;
      if (session.running) {
        this.touch(session);
        return;
      }
      this.logger.info(`session ${id} expired after ${this.config.sessionIdleSeconds} s idle`);
      this.drop(session);
    }, this.config.sessionIdleSeconds * 1000).unref();
  }

  private drop(session: Session): void {
    clearTimeout(session.expiry);
    this.sessions.delete(session.id);
    if (session.sandbox) this.dispose(session.sandbox);
    session.sandbox = null;
  }

  private dispose(sandbox: Sandbox): void {
    const done = sandbox.close().finally(() => this.closing.delete(done));
    this.closing.add(done);
  }

  private info(session: Session): SessionInfo {
    const idleMs = Date.now() - session.lastUsedAt.getTime();
    return {
      session_id: session.id,
      created_at: session.createdAt.toISOString(),
      last_used_at: session.lastUsedAt.toISOString(),
      runs: session.runs,
      running: session.running,
      idle_expires_in_seconds: Math.max(
        0,
        Math.round(this.config.sessionIdleSeconds - idleMs / 1000),
      ),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new PymcpError('shutting_down', 'the server is shutting down');
  }
}

function joinNotices(a: string | null, b: string): string {
  return a === null ? b : `${a}; ${b}`;
}
