/**
 * Sandboxes started ahead of need, so a fresh call or a new session does not pay start-up.
 * Warming happens in the background and after the request that used a sandbox (spawning blocks
 * the event loop for a few ms); failures back off instead of spinning. A caller that finds the
 * pool empty gets the first sandbox that finishes starting, rather than starting yet another.
 */
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Sandbox } from './sandbox-process.js';

const MAX_BACKOFF_MS = 30_000;
/** Refill this long after a take, so the spawn does not delay the answer being sent. */
const REFILL_DELAY_MS = 25;

interface Waiter {
  resolve(sandbox: Sandbox): void;
  reject(error: unknown): void;
}

export class SandboxPool {
  private idle: Sandbox[] = [];
  private starting = 0;
  private readonly waiters: Waiter[] = [];
  private failures = 0;
  /** Whether a sandbox has ever started: false until the pool's first one is up. */
  private started = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private refillTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly startSandbox: () => Promise<Sandbox>,
    private readonly size: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Start sandboxes in the background until `size` are idle or starting, one at a time: on two
   * cores, two sandboxes starting together each take about twice as long, so the first one (the
   * one a server's first call waits for) is ready sooner alone. Each start that ends schedules
   * the next.
   */
  warm(): void {
    if (this.closed || this.retryTimer !== null) return;
    if (this.starting - this.waiters.length > 0) return;
    if (this.idle.length + this.starting - this.waiters.length < this.size) this.startOne();
  }

  /**
   * The pool has started a sandbox (or is sized 0: nothing to pre-start) and the latest start
   * did not fail: it can serve calls.
   */
  get isWarm(): boolean {
    return (this.started || this.size === 0) && this.failures === 0 && !this.closed;
  }

  /** An idle, ready sandbox: from the pool when one is waiting, else the next one to start. */
  take(): Promise<Sandbox> {
    let sandbox: Sandbox | undefined;
    while ((sandbox = this.idle.shift()) !== undefined && !sandbox.isIdle) {
      // died while waiting; drop it
    }
    this.scheduleRefill();
    if (sandbox !== undefined) return Promise.resolve(sandbox);
    if (this.starting > this.waiters.length) {
      return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
    return this.startSandbox();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.refillTimer !== null) clearTimeout(this.refillTimer);
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((s) => s.close()));
  }

  private startOne(): void {
    this.starting += 1;
    this.startSandbox().then(
      (sandbox) => {
        this.starting -= 1;
        this.failures = 0;
        this.started = true;
        const waiter = this.waiters.shift();
        if (waiter) {
          waiter.resolve(sandbox);
          return;
        }
        if (this.closed) {
          void sandbox.close();
          return;
        }
        this.idle.push(sandbox);
        sandbox.onClose(() => {
          this.idle = this.idle.filter((s) => s !== sandbox);
        });
        this.scheduleRefill();
      },
      (error: unknown) => {
        this.starting -= 1;
        this.failures += 1;
        // A caller waiting for this one gets the failure rather than waiting for a retry.
        this.waiters.shift()?.reject(error);
        const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.failures - 1));
        this.logger.warn(
          `could not pre-start a sandbox (retrying in ${delay} ms): ${errorMessage(error)}`,
        );
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.warm();
        }, delay).unref();
      },
    );
  }

  private scheduleRefill(): void {
    if (this.closed || this.refillTimer !== null) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.warm();
    }, REFILL_DELAY_MS).unref();
  }
}
