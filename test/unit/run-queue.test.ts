import { describe, expect, test } from 'vitest';
import { isPymcpError } from '../../src/shared/errors.js';
import { RunQueue, type QueuePolicy, type Release } from '../../src/sandbox/run-queue.js';

const policy = (overrides: Partial<QueuePolicy> = {}): QueuePolicy => ({
  slots: 2,
  perClient: 2,
  maxQueued: 10,
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

  test('a client gets no slot past its share while another client waits, and free slots never idle', async () => {
    const queue = new RunQueue(policy({ slots: 4, perClient: 2 }));
    const r = recorder(queue);
    void r.take('other', 'o1');
    for (let i = 1; i <= 6; i += 1) void r.take('greedy', `g${i}`);
    await tick();
    // Nobody else waits: 'greedy' may use every free slot.
    expect(r.order).toEqual(['o1', 'g1', 'g2', 'g3']);
    const late = r.take('late', 'l1');
    r.releases.get('g1')?.();
    await late;
    // The freed slot goes to the waiting client, not to 'greedy' past its share.
    expect(r.order).toEqual(['o1', 'g1', 'g2', 'g3', 'l1']);
  });

  test('a client past its share still gets a free slot when nobody else waits', async () => {
    const queue = new RunQueue(policy({ slots: 4, perClient: 1 }));
    const r = recorder(queue);
    await r.take('a', 'a1');
    await r.take('b', 'b1');
    await r.take('a', 'a2');
    expect(queue.stats).toEqual({ running: 3, queued: 0 });
  });

  test('with --max-queued 0 a free slot is still taken; only a call that must wait is refused', async () => {
    const queue = new RunQueue(policy({ slots: 1, maxQueued: 0 }));
    const r = recorder(queue);
    await r.take('a', '1');
    const refused = await r.take('a', '2').catch((e: unknown) => e);
    expect(isPymcpError(refused, 'busy')).toBe(true);
    expect(queue.stats).toEqual({ running: 1, queued: 0 });
  });

  test('a full queue is refused at once as busy, naming the limit', async () => {
    const queue = new RunQueue(policy({ slots: 1, maxQueued: 2 }));
    const r = recorder(queue);
    void r.take('a', '1');
    void r.take('a', '2');
    void r.take('b', '3');
    const refused = await r.take('c', '4').catch((e: unknown) => e);
    expect(isPymcpError(refused, 'busy')).toBe(true);
    expect((refused as Error).message).toMatch(/queue limit 2/);
  });

  test('a client that filled the queue gives way: its newest waiting call is refused for a newcomer', async () => {
    const queue = new RunQueue(policy({ slots: 1, maxQueued: 3 }));
    const r = recorder(queue);
    void r.take('a', 'a0');
    const a = [1, 2, 3].map((i) => r.take('a', `a${i}`).catch((e: unknown) => e));
    const newcomer = r.take('b', 'b1');
    expect(isPymcpError(await a[2], 'busy')).toBe(true);
    expect(((await a[2]) as Error).message).toMatch(/gave way to another client's/);
    expect(queue.stats.queued).toBe(3);
    // Fair service: the newcomer is next.
    r.releases.get('a0')?.();
    await newcomer;
    expect(r.order).toEqual(['a0', 'b1']);
  });

  test('a progress callback that throws costs the call neither its place nor a slot', async () => {
    const queue = new RunQueue(policy({ slots: 1 }));
    const first = await queue.acquire('a', { waitMs: 1000 });
    const waiting = queue.acquire('b', {
      waitMs: 1000,
      onWait: () => {
        throw new Error('client went away');
      },
    });
    first();
    (await waiting)();
    expect(queue.stats).toEqual({ running: 0, queued: 0 });
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
