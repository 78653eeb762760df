import { describe, expect, test } from 'vitest';
import { isPymcpError } from '../../src/shared/errors.js';
import { RunQueue, type QueuePolicy, type Release } from '../../src/sandbox/run-queue.js';

const policy = (overrides: Partial<QueuePolicy> = {}): QueuePolicy => ({
  slots: 2,
  perClient: 2,
  maxQueued: 10,
  maxQueuedPerClient: 10,
  ...overrides,
});

/** Acquire and record the order in which calls get their slot. */
function recorder(queue: RunQueue) {
  const order: string[] = [];
  const releases = new Map<string, Release>();
  const take = (client: string, label: string, waitMs = 60_000, signal?: AbortSignal) =>
    queue.acquire(client, { waitMs, signal }).then((release) => {
      order.push(label);
      releases.set(label, release);
      return release;
    });
  return { order, releases, take };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RunQueue', () => {
  test('runs at once while slots are free, then makes calls wait instead of refusing them', async () => {
    const queue = new RunQueue(policy());
    const r = recorder(queue);
    void r.take('a', 'a1');
    void r.take('a', 'a2');
    const third = r.take('a', 'a3');
    await tick();
    expect(r.order).toEqual(['a1', 'a2']);
    expect(queue.stats).toEqual({ running: 2, queued: 1 });
    r.releases.get('a1')?.();
    await third;
    expect(r.order).toEqual(['a1', 'a2', 'a3']);
  });

  test('one client with a batch of calls cannot starve another: freed slots alternate between clients', async () => {
    const queue = new RunQueue(policy({ slots: 1, perClient: 1 }));
    const r = recorder(queue);
    void r.take('batch', 'b1');
    for (let i = 2; i <= 5; i += 1) void r.take('batch', `b${i}`);
    void r.take('other', 'o1');
    void r.take('other', 'o2');
    await tick();
    for (let i = 0; i < 6; i += 1) {
      const last = r.order.at(-1);
      if (last !== undefined) r.releases.get(last)?.();
      await tick();
    }
    expect(r.order).toEqual(['b1', 'o1', 'b2', 'o2', 'b3', 'b4', 'b5']);
  });

  test('a client alone may use every slot, but gets no slot past its share while another client is active', async () => {
    const queue = new RunQueue(policy({ slots: 4, perClient: 2 }));
    const r = recorder(queue);
    void r.take('other', 'o1');
    for (let i = 1; i <= 6; i += 1) void r.take('greedy', `g${i}`);
    await tick();
    // 'other' holds one slot: 'greedy' gets its share of 2, and one slot stays free for others.
    expect(r.order).toEqual(['o1', 'g1', 'g2']);
    expect(queue.stats).toEqual({ running: 3, queued: 4 });
    await r.take('late', 'l1');
    expect(r.order).toEqual(['o1', 'g1', 'g2', 'l1']);
    // Once the others are gone, 'greedy' alone may fill every slot.
    r.releases.get('o1')?.();
    r.releases.get('l1')?.();
    await tick();
    expect(r.order).toEqual(['o1', 'g1', 'g2', 'l1', 'g3', 'g4']);
  });

  test('a full queue is refused at once as busy, naming the limit', async () => {
    const queue = new RunQueue(policy({ slots: 1, maxQueued: 2, maxQueuedPerClient: 2 }));
    const r = recorder(queue);
    void r.take('a', '1');
    void r.take('a', '2');
    void r.take('b', '3');
    const refused = await r.take('c', '4').catch((e: unknown) => e);
    expect(isPymcpError(refused, 'busy')).toBe(true);
    expect((refused as Error).message).toMatch(/queue limit 2/);
  });

  test('one client cannot fill the whole queue', async () => {
    const queue = new RunQueue(policy({ slots: 1, maxQueued: 10, maxQueuedPerClient: 2 }));
    const r = recorder(queue);
    void r.take('a', '1');
    void r.take('a', '2');
    void r.take('a', '3');
    const refused = await r.take('a', '4').catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/already has 2 calls waiting/);
    void r.take('b', '5');
    expect(queue.stats.queued).toBe(3);
  });

  test('a wait longer than the call timeout ends as busy and frees its place', async () => {
    const queue = new RunQueue(policy({ slots: 1 }));
    const r = recorder(queue);
    void r.take('a', '1');
    const late = await r.take('b', '2', 20).catch((e: unknown) => e);
    expect(isPymcpError(late, 'busy')).toBe(true);
    expect((late as Error).message).toMatch(/waited .* s \(this call's timeout\)/);
    expect(queue.stats).toEqual({ running: 1, queued: 0 });
  });

  test('a call cancelled while queued leaves the queue and never runs', async () => {
    const queue = new RunQueue(policy({ slots: 1 }));
    const r = recorder(queue);
    void r.take('a', '1');
    const controller = new AbortController();
    const waiting = r.take('b', '2', 60_000, controller.signal).catch((e: unknown) => e);
    void r.take('c', '3');
    await tick();
    controller.abort();
    expect(isPymcpError(await waiting, 'cancelled')).toBe(true);
    r.releases.get('1')?.();
    await tick();
    expect(r.order).toEqual(['1', '3']);
  });

  test('releasing twice frees one slot, not two', async () => {
    const queue = new RunQueue(policy({ slots: 1 }));
    const first = await queue.acquire('a', { waitMs: 1000 });
    first();
    first();
    expect(queue.stats.running).toBe(0);
  });

  test('a waiting call is told where it stands', async () => {
    const queue = new RunQueue(policy({ slots: 1 }));
    const states: unknown[] = [];
    const release = await queue.acquire('a', { waitMs: 1000 });
    const waiting = queue.acquire('b', { waitMs: 1000, onWait: (s) => states.push(s) });
    expect(states).toEqual([{ running: 1, queued: 1, ahead: 0 }]);
    release();
    (await waiting)();
  });
});
