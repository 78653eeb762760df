/** Which MCP session makes room for a new one, and when an idle one expires. */
import { describe, expect, test } from 'vitest';
import {
  evictionCandidate,
  expiresAt,
  SessionTable,
  type SessionUse,
} from '../../src/server/http-sessions.js';
import { silentLogger } from '../../src/shared/log.js';

/** An established (initialize, then more), idle session with no stream, last used at `lastUsed`. */
function use(lastUsed: number, more: Partial<SessionUse> = {}): SessionUse {
  return { requests: 2, inFlight: 0, streams: 0, lastUsed, ...more };
}
const halfInitialised = (lastUsed: number): SessionUse => use(lastUsed, { requests: 1 });
const busy = (lastUsed: number): SessionUse => use(lastUsed, { inFlight: 1 });
const listening = (lastUsed: number): SessionUse => use(lastUsed, { streams: 1 });

describe('evictionCandidate', () => {
  test.each<[string, Record<string, SessionUse>, string | undefined]>([
    ['the least recently used idle session', { a: use(30), b: use(10), c: use(20) }, 'b'],
    ['never one answering a call, however old', { old: busy(1), a: use(20), b: use(10) }, 'b'],
    ['none when every session answers a call', { a: busy(1), b: busy(2) }, undefined],
    ['none when there is no session', {}, undefined],
    [
      'a half-initialised session before any established one, even a less recently used one',
      { old: use(1), half: halfInitialised(50) },
      'half',
    ],
    [
      'the least recently used of the half-initialised sessions',
      { h1: halfInitialised(50), h2: halfInitialised(40), a: use(1) },
      'h2',
    ],
    [
      'a session with no open stream before one a client is listening on',
      { listening: listening(1), quiet: use(50) },
      'quiet',
    ],
    [
      'a session a client is listening on, when it is the only idle one',
      { a: busy(1), listening: listening(50) },
      'listening',
    ],
    [
      'a half-initialised session with its initialize still being answered: never',
      { initializing: use(1, { requests: 1, inFlight: 1 }), a: use(50) },
      'a',
    ],
  ])('picks %s', (_name, sessions, expected) => {
    expect(evictionCandidate(Object.entries(sessions))).toBe(expected);
  });
});

describe('expiresAt', () => {
  const limits = { idleMs: 1000, initMs: 100 };
  test.each<[string, SessionUse, number]>([
    ['an established idle session: idleMs after its last use', use(5000), 6000],
    ['a half-initialised session: initMs after its initialize', halfInitialised(5000), 5100],
    ['a session a client is listening on, like any idle one', listening(5000), 6000],
    ['a session answering a call: never', busy(5000), Infinity],
  ])('%s', (_name, session, expected) => {
    expect(expiresAt(session, limits)).toBe(expected);
  });
});

describe('SessionTable.whenQuiet (a drain)', () => {
  const table = (): SessionTable<string> =>
    new SessionTable<string>({
      limits: { maxSessions: 8, idleMs: 60_000, initMs: 60_000 },
      close: () => Promise.resolve(),
      logger: silentLogger,
    });

  test('resolves at once when no call is in flight, streams notwithstanding', async () => {
    const sessions = table();
    sessions.add('a', 'a');
    sessions.begin('a', 'stream');
    await expect(sessions.whenQuiet()).resolves.toBeUndefined();
    await sessions.closeAll('test');
  });

  test('resolves when the last call in flight ends, not before', async () => {
    const sessions = table();
    sessions.add('a', 'a');
    sessions.add('b', 'b');
    const endA = sessions.begin('a', 'call');
    const endB = sessions.begin('b', 'call');
    let quiet = false;
    const waiting = sessions.whenQuiet().then(() => (quiet = true));
    endA();
    await Promise.resolve();
    expect(quiet).toBe(false);
    expect(sessions.inFlight).toBe(1);
    endB();
    await waiting;
    expect(quiet).toBe(true);
    await sessions.closeAll('test');
  });

  test('a session closed with a call in flight no longer holds the drain', async () => {
    const sessions = table();
    sessions.add('a', 'a');
    sessions.begin('a', 'call');
    const waiting = sessions.whenQuiet();
    await sessions.close('a', 'test');
    await expect(waiting).resolves.toBeUndefined();
  });
});
