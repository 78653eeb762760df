/**
 * The HTTP server's MCP sessions: how many it keeps, and which it closes.
 *
 * A session is busy while a POST to it is being answered (a long tool call included), idle
 * otherwise; an open GET stream does not make it busy. It is established once it sends anything
 * after initialize (normally notifications/initialized). Idle sessions expire: an established one
 * `idleMs` after its last request, a half-initialised one `initMs` after its initialize. When the
 * table is full, a new session takes the place of an idle one (half-initialised first, then one
 * with no stream open, then the least recently used); only when every session is busy is the new
 * one refused.
 */
import type { Logger } from '../shared/log.js';

/** How long a client has, after initialize, to send anything else before its session expires. */
export const HTTP_INIT_GRACE_MS = 30_000;

export interface SessionUse {
  /** Requests begun, initialize included: from the second on, the session is established. */
  requests: number;
  /** POST requests being answered. */
  inFlight: number;
  /** GET (SSE) streams open. */
  streams: number;
  /** When a request last began or ended, in ms since the epoch. */
  lastUsed: number;
}

export interface SessionLimits {
  /** Sessions open at once. */
  maxSessions: number;
  /** An established session with no request for this long expires. */
  idleMs: number;
  /** A session that sent nothing after initialize expires this long after it. */
  initMs: number;
}

export function isEstablished(use: SessionUse): boolean {
  return use.requests > 1;
}

/** When `use` expires if nothing happens meanwhile; a busy session never does (Infinity). */
export function expiresAt(use: SessionUse, limits: Omit<SessionLimits, 'maxSessions'>): number {
  if (use.inFlight > 0) return Infinity;
  return use.lastUsed + (isEstablished(use) ? limits.idleMs : limits.initMs);
}

/**
 * The session to close to make room for a new one, or undefined when every session is busy:
 * half-initialised first, then established without an open stream, then with one; the least
 * recently used within each.
 */
export function evictionCandidate<K>(sessions: Iterable<readonly [K, SessionUse]>): K | undefined {
  let best: { id: K; rank: number; lastUsed: number } | undefined;
  for (const [id, use] of sessions) {
    // Security (availability): never close a session while it is answering a request.
    if (use.inFlight > 0) continue;
    const rank = !isEstablished(use) ? 0 : use.streams === 0 ? 1 : 2;
    if (
      best === undefined ||
      rank < best.rank ||
      (rank === best.rank && use.lastUsed < best.lastUsed)
    ) {
      best = { id, rank, lastUsed: use.lastUsed };
    }
  }
  return best?.id;
}

interface Entry<T> {
  value: T;
  use: SessionUse;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The open sessions, keyed by Mcp-Session-Id, with their expiry timers. */
export class SessionTable<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #limits: SessionLimits;
  readonly #closeValue: (value: T) => Promise<void>;
  readonly #logger: Logger;
  /** Waiting for no POST to be in flight in any session (a drain). */
  #quietWaiters: (() => void)[] = [];

  constructor(options: {
    limits: SessionLimits;
    /** Release what a session holds (its MCP server and Python sessions). */
    close: (value: T) => Promise<void>;
    logger: Logger;
  }) {
    this.#limits = options.limits;
    this.#closeValue = options.close;
    this.#logger = options.logger;
  }

  /** Sessions open. */
  get size(): number {
    return this.#entries.size;
  }

  /** POST requests being answered, all sessions together. */
  get inFlight(): number {
    let total = 0;
    for (const entry of this.#entries.values()) total += entry.use.inFlight;
    return total;
  }

  /** Resolves once no session has a POST in flight (at once when none has). */
  whenQuiet(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#quietWaiters.push(resolve));
  }

  get(id: string): T | undefined {
    return this.#entries.get(id)?.value;
  }

  /** Room for one more session, closing idle ones; false when every session is busy. */
  makeRoom(): boolean {
    // Security: a fixed number of sessions, so a client cannot exhaust memory or sandboxes.
    while (this.#entries.size >= this.#limits.maxSessions) {
      const victim = evictionCandidate(
        [...this.#entries].map(([id, entry]) => [id, entry.use] as const),
      );
      if (victim === undefined) return false;
      this.#expel(
        victim,
        `evicted for a new session: ${this.#limits.maxSessions} were open, this one idle`,
      );
    }
    return true;
  }

  /** A new session; its initialize request is the first `begin`. */
  add(id: string, value: T): void {
    const entry: Entry<T> = {
      value,
      use: { requests: 0, inFlight: 0, streams: 0, lastUsed: Date.now() },
      timer: undefined,
    };
    this.#entries.set(id, entry);
    this.#arm(id, entry);
  }

  /**
   * A request to session `id` begins: a POST ('call') makes it busy until the returned function
   * is called (when its response closes), a GET ('stream') only counts as use.
   */
  begin(id: string, kind: 'call' | 'stream'): () => void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return () => undefined;
    const { use } = entry;
    use.requests += 1;
    use.lastUsed = Date.now();
    if (kind === 'call') use.inFlight += 1;
    else use.streams += 1;
    this.#arm(id, entry);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (kind === 'call') use.inFlight -= 1;
      else use.streams -= 1;
      use.lastUsed = Date.now();
      this.#arm(id, entry);
      if (kind === 'call') this.#wakeIfQuiet();
    };
  }

  /** Close session `id`: it is gone from the table at once (later requests get 404). */
  close(id: string, why: string): Promise<void> {
    return this.#close(id, why, 'debug');
  }

  async closeAll(why: string): Promise<void> {
    await Promise.allSettled([...this.#entries.keys()].map((id) => this.close(id, why)));
  }

  async #close(id: string, why: string, level: 'debug' | 'info'): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    clearTimeout(entry.timer);
    this.#wakeIfQuiet();
    this.#logger[level](`http: session ${id} closed (${why})`);
    await this.#closeValue(entry.value);
  }

  #wakeIfQuiet(): void {
    if (this.#quietWaiters.length === 0 || this.inFlight > 0) return;
    for (const wake of this.#quietWaiters.splice(0)) wake();
  }

  /** The table's own decision (eviction, expiry): news to a client, whose next request gets 404. */
  #expel(id: string, why: string): void {
    this.#close(id, why, 'info').catch((error: unknown) => {
      this.#logger.warn(`http: closing session ${id} failed`, error);
    });
  }

  /** (Re)arm the expiry timer of a session still in the table. */
  #arm(id: string, entry: Entry<T>): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (this.#entries.get(id) !== entry) return;
    const at = expiresAt(entry.use, this.#limits);
    if (at === Infinity) return;
    entry.timer = setTimeout(
      () => {
        if (Date.now() < expiresAt(entry.use, this.#limits)) this.#arm(id, entry);
        else {
          this.#expel(id, isEstablished(entry.use) ? 'idle' : 'initialisation never completed');
        }
      },
      Math.max(0, at - Date.now()),
    );
    // Security: an expiry timer never keeps the process alive.
    entry.timer.unref();
  }
}
