/**
 * Sandboxes started ahead of need, so a fresh call or a new session does not pay start-up.
 * Warming happens in the background; failures back off instead of spinning.
 */
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Sandbox } from './sandbox-process.js';

const MAX_BACKOFF_MS = 30_000;

export class SandboxPool {
  private idle: Sandbox[] = [];
  private starting = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly startSandbox: () => Promise<Sandbox>,
    private readonly size: number,
    private readonly logger: Logger,
  ) {}

  /** Start sandboxes in the background until `size` are idle or starting. */
  warm(): void {
    if (this.closed || this.retryTimer !== null) return;
    while (this.idle.length + this.starting < this.size) {
      this.starting += 1;
      this.startSandbox().then(
        (sandbox) => {
          this.starting -= 1;
          this.failures = 0;
          if (this.closed) {
            void sandbox.close();
            return;
          }
          this.idle.push(sandbox);
          sandbox.onClose(() => {
            this.idle = this.idle.filter((s) => s !== sandbox);
          });
        },
        (error: unknown) => {
          this.starting -= 1;
          this.failures += 1;
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
  }

  /** An idle, ready sandbox: from the pool when one is waiting, else started now. */
  async take(): Promise<Sandbox> {
    let sandbox: Sandbox | undefined;
    while ((sandbox = this.idle.shift()) !== undefined && !sandbox.isIdle) {
      // died while waiting; drop it
    }
    this.warm();
    return sandbox ?? (await this.startSandbox());
  }

  get idleCount(): number {
    return this.idle.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((s) => s.close()));
  }
}
