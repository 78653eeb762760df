/**
 * Slots for running code, shared fairly by the clients of one server. A call beyond the free
 * slots waits in a bounded queue instead of being refused; when a slot frees, it goes to the
 * waiting client that holds the fewest slots, and among those to the one served longest ago (not
 * to whoever queued most); a client gets more than its share of slots only while nobody else
 * waits, and a full queue makes room for a client with fewer calls waiting. Only a full queue, or a wait longer than the
 * call's own timeout, ends in "busy"; a cancelled call leaves the queue at once.
 */
import { PymcpError } from '../shared/errors.js';

export interface QueuePolicy {
  /** Calls executing at once. */
  slots: number;
  /** Slots one client may hold while other clients wait for slots. */
  perClient: number;
  /** Calls waiting at once, all clients together. */
  maxQueued: number;
}

export interface QueueState {
  running: number;
  queued: number;
  /** Calls of other clients, or earlier calls of this one, served before this call. */
  ahead: number;
}

export interface AcquireOptions {
  /** Longest wait for a slot; past it the call is refused as busy. */
  waitMs: number;
  signal?: AbortSignal | undefined;
  /** Told when the call starts waiting and then every second until it runs. */
  onWait?: ((state: QueueState) => void) | undefined;
}

/** Give the slot back; safe to call more than once. */
export type Release = () => void;

interface Waiter {
  client: string;
  grant(release: Release): void;
  /** Take the call out of the queue with this error. */
  refuse(error: PymcpError): void;
}

const PROGRESS_EVERY_MS = 1000;

export class RunQueue {
  private readonly held = new Map<string, number>();
  private running = 0;
  /** Waiting calls per client, oldest first. */
  private readonly waiting = new Map<string, Waiter[]>();
  /** When each client with held or waiting calls last got a slot (a counter, not a clock). */
  private readonly servedAt = new Map<string, number>();
  private grants = 0;
  private queued = 0;

  constructor(private readonly policy: QueuePolicy) {}

  get stats(): { running: number; queued: number } {
    return { running: this.running, queued: this.queued };
  }

  acquire(client: string, options: AcquireOptions): Promise<Release> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(cancelled());
    return new Promise<Release>((resolve, reject) => {
      const timers: { wait?: NodeJS.Timeout; progress?: NodeJS.Timeout } = {};
      const settle = (): void => {
        clearTimeout(timers.wait);
        clearInterval(timers.progress);
        signal?.removeEventListener('abort', onAbort);
      };
      const leave = (error: PymcpError): void => {
        if (!this.remove(waiter)) return;
        settle();
        reject(error);
      };
      const waiter: Waiter = {
        client,
        grant: (release) => {
          settle();
          resolve(release);
        },
        refuse: leave,
      };
      const onAbort = (): void => {
        leave(cancelled());
      };
      // A free slot is taken at once; the queue's limits apply only to a call that must wait.
      this.enqueue(waiter);
      this.grant();
      if (!this.isWaiting(waiter)) return;
      const refusal = this.admit(waiter);
      if (refusal !== null) {
        leave(refusal);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      timers.wait = setTimeout(() => {
        leave(
          busy(
            `the server is busy: waited ${Math.round(options.waitMs / 100) / 10} s (this call's timeout) for one of ${this.policy.slots} run slots; retry later`,
          ),
        );
      }, options.waitMs);
      timers.wait.unref();
      if (options.onWait !== undefined) {
        const report = options.onWait;
        const tell = (): void => {
          try {
            report({ running: this.running, queued: this.queued, ahead: this.ahead(waiter) });
          } catch {
            // A report is a courtesy; it never costs the call its place or a slot.
          }
        };
        timers.progress = setInterval(tell, PROGRESS_EVERY_MS);
        timers.progress.unref();
        tell();
      }
    });
  }

  /**
   * Whether a call that must wait may stay in the queue (it is already counted in it). A full
   * queue makes room by refusing the newest waiting call of the client with the most waiting,
   * when that client has more waiting than this one: one client cannot fill the queue and lock
   * the others out.
   */
  private admit(waiter: Waiter): PymcpError | null {
    const mine = this.waiting.get(waiter.client)?.length ?? 0;
    // Security: bounded queues, so a flood of calls costs memory for a fixed number of waiters.
    if (this.queued <= this.policy.maxQueued) return null;
    let heaviest: Waiter[] | undefined;
    for (const [client, queue] of this.waiting) {
      if (client !== waiter.client && queue.length > (heaviest?.length ?? 0)) heaviest = queue;
    }
    const displaced = heaviest?.at(-1);
    if (heaviest !== undefined && displaced !== undefined && heaviest.length > mine) {
      displaced.refuse(
        busy(
          `the server is busy: the queue is full (limit ${this.policy.maxQueued}) and this connection had the most calls waiting, so its newest gave way to another client's; retry when some finish`,
        ),
      );
      return null;
    }
    return busy(
      `the server is busy: ${this.running} calls are running and ${this.queued - 1} are waiting (queue limit ${this.policy.maxQueued}); retry when some finish`,
    );
  }

  /** Hand free slots to waiting calls: fewest slots held first, then longest since served. */
  private grant(): void {
    while (this.running < this.policy.slots) {
      const client = this.nextClient();
      const queue = client === undefined ? undefined : this.waiting.get(client);
      const waiter = queue?.shift();
      if (client === undefined || queue === undefined || waiter === undefined) return;
      this.queued -= 1;
      if (queue.length === 0) this.waiting.delete(client);
      this.running += 1;
      this.held.set(client, (this.held.get(client) ?? 0) + 1);
      this.grants += 1;
      this.servedAt.set(client, this.grants);
      waiter.grant(this.releaser(client));
    }
  }

  private nextClient(): string | undefined {
    let best: string | undefined;
    let bestKey: readonly [number, number] = [Infinity, Infinity];
    for (const client of this.waiting.keys()) {
      const held = this.held.get(client) ?? 0;
      // Past its share only while no other client waits for a slot: free slots never idle.
      if (held >= this.policy.perClient && this.othersWaiting(client)) continue;
      const key = [held, this.servedAt.get(client) ?? 0] as const;
      if (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
        best = client;
        bestKey = key;
      }
    }
    return best;
  }

  private othersWaiting(client: string): boolean {
    for (const other of this.waiting.keys()) if (other !== client) return true;
    return false;
  }

  private releaser(client: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      const left = (this.held.get(client) ?? 1) - 1;
      if (left > 0) this.held.set(client, left);
      else {
        this.held.delete(client);
        // Forget clients that hold and wait for nothing, so the map does not grow with them.
        if (!this.waiting.has(client)) this.servedAt.delete(client);
      }
      this.grant();
    };
  }

  private enqueue(waiter: Waiter): void {
    const queue = this.waiting.get(waiter.client);
    if (queue === undefined) this.waiting.set(waiter.client, [waiter]);
    else queue.push(waiter);
    this.queued += 1;
  }

  private remove(waiter: Waiter): boolean {
    const queue = this.waiting.get(waiter.client);
    const index = queue?.indexOf(waiter) ?? -1;
    if (queue === undefined || index < 0) return false;
    queue.splice(index, 1);
    this.queued -= 1;
    if (queue.length === 0) {
      this.waiting.delete(waiter.client);
      if (!this.held.has(waiter.client)) this.servedAt.delete(waiter.client);
    }
    // A client that left may have been the one blocking nobody: others can move.
    this.grant();
    return true;
  }

  private isWaiting(waiter: Waiter): boolean {
    return this.waiting.get(waiter.client)?.includes(waiter) ?? false;
  }

  /** Calls served before this one if every client keeps its turn: an estimate for progress. */
  private ahead(waiter: Waiter): number {
    const own = this.waiting.get(waiter.client)?.indexOf(waiter) ?? 0;
    let ahead = own;
    for (const [client, queue] of this.waiting) {
      if (client !== waiter.client) ahead += Math.min(queue.length, own + 1);
    }
    return ahead;
  }
}

function busy(message: string): PymcpError {
  return new PymcpError('busy', message);
}

function cancelled(): PymcpError {
  return new PymcpError('cancelled', 'the call was cancelled while it waited for a run slot');
}
