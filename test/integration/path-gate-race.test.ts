/**
 * The path gate against a directory swapped for a symlink to outside the workspace while it
 * checks, reads and writes: a separate process swaps `dir` with a symlink to an outside
 * directory holding a file of the same name (renameat2 RENAME_EXCHANGE, as fast as it can),
 * while the gate reads or writes through `dir`, several operations at a time. Real filesystem,
 * real symlinks, a real concurrent process; no mocks.
 */
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pythonFiles } from '../../src/lsp/workspace-files.js';
import { isPymcpError } from '../../src/shared/errors.js';
import {
  readWorkspaceText,
  resolveWorkspaceFile,
  writeWorkspaceFileAtomic,
} from '../../src/shared/path-gate.js';
import { startFlipping, type Flipper } from '../helpers/flipper.js';
import { isAlive } from '../helpers/processes.js';

const CANARY = 'CANARY-OUTSIDE-THE-WORKSPACE';
const INSIDE = 'inside = True\n';
const LIMITS = { maxBytes: 64 * 1024 };
const READS = 3000;
const WRITES = 400;
const WALKS = 400;
const AT_ONCE = 8;

let base: string;
let ws: string;
let flipper: Flipper | null = null;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-gate-race-')));
  ws = path.join(base, 'ws');
  await mkdir(ws);
});

afterEach(async () => {
  if (flipper !== null) {
    await flipper.stop();
    expect(isAlive(flipper.pid)).toBe(false);
  }
  flipper = null;
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A directory in the workspace with `name`, and one outside with a canary file of that name. */
async function pair(dir: string, name: string): Promise<{ inside: string; outside: string }> {
  const inside = path.join(ws, dir);
  const outside = path.join(base, `outside-${dir}`);
  await mkdir(inside);
  await mkdir(outside);
  await writeFile(path.join(inside, name), INSIDE);
  await writeFile(path.join(outside, name), `${CANARY}\n`);
  return { inside, outside };
}

/**
 * Run `task` `count` times, `AT_ONCE` at a time, then on (up to 20 times as many) until
 * `raced()` holds: on a loaded machine the swapping process may get so little CPU that a fixed
 * number of operations all land on one side of the swap, which would prove nothing either way.
 */
async function repeat(
  count: number,
  task: (index: number) => Promise<void>,
  raced: () => boolean = () => true,
): Promise<void> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count || (!raced() && started < count * 20)) {
      started += 1;
      await task(started);
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, lane));
}

/** Some operations got through and some were refused: the swaps really raced them. */
const racedBoth = (counts: Tally) => () => counts.ok > 0 && counts.denied > 0;

/** What the gated operations did: succeeded, were refused (path_denied), or anything else. */
interface Tally {
  ok: number;
  denied: number;
  other: string[];
  /** Distinct path_denied messages. */
  messages: Set<string>;
}

const tally = (): Tally => ({ ok: 0, denied: 0, other: [], messages: new Set() });

function record(counts: Tally, error: unknown): void {
  if (isPymcpError(error, 'path_denied')) {
    counts.denied += 1;
    counts.messages.add(error.message);
  } else {
    counts.other.push(String(error));
  }
}

function expectRaced(counts: Tally, outside: string): void {
  expect(counts.other).toEqual([]);
  // Not vacuous: the swaps raced the operations (some were refused), and some still got through.
  expect(counts.ok).toBeGreaterThan(0);
  expect(counts.denied).toBeGreaterThan(0);
  for (const message of counts.messages) {
    expect(message).not.toContain(CANARY);
    expect(message).not.toContain(outside);
  }
}

describe('a directory swapped for a symlink to outside the workspace, again and again', () => {
  test('no gated read returns the outside file', async () => {
    const { inside, outside } = await pair('dir', 'secret.py');
    flipper = await startFlipping(inside, outside);
    const counts = tally();
    let leaks = 0;
    await repeat(
      READS,
      async () => {
        try {
          const file = await resolveWorkspaceFile(ws, 'dir/secret.py', LIMITS);
          const text = await readWorkspaceText(file, LIMITS);
          if (text.includes(CANARY)) leaks += 1;
          else if (text === INSIDE) counts.ok += 1;
          else counts.other.push(`unexpected text ${JSON.stringify(text.slice(0, 80))}`);
        } catch (error) {
          record(counts, error);
        }
      },
      racedBoth(counts),
    );
    const flips = await flipper.stop();
    const summary = `${leaks} leaks, ${counts.ok} read, ${counts.denied} refused; ${flips} swaps`;

    expect(leaks, summary).toBe(0);
    expect(flips, summary).toBeGreaterThan(1000);
    expectRaced(counts, outside);
  }, 120_000);

  test('no atomic write creates or changes a file outside the workspace', async () => {
    const { inside, outside } = await pair('wdir', 'target.py');
    const canary = path.join(outside, 'target.py');
    const before = await stat(canary, { bigint: true });
    flipper = await startFlipping(inside, outside);
    const counts = tally();
    await repeat(
      WRITES,
      async (index) => {
        try {
          await writeWorkspaceFileAtomic(ws, 'wdir/target.py', `written = ${index}\n`, LIMITS);
          counts.ok += 1;
        } catch (error) {
          record(counts, error);
        }
      },
      racedBoth(counts),
    );
    const flips = await flipper.stop();
    const summary = `${counts.ok} written, ${counts.denied} refused; ${flips} swaps`;

    expect(await readdir(outside), summary).toEqual(['target.py']);
    expect(await readFile(canary, 'utf8')).toBe(`${CANARY}\n`);
    const after = await stat(canary, { bigint: true });
    expect([after.ino, after.mtimeNs, after.ctimeNs]).toEqual([
      before.ino,
      before.mtimeNs,
      before.ctimeNs,
    ]);
    expectRaced(counts, outside);
    // The workspace directory holds the file, as one of the writes left it, and no temp files.
    expect(await readdir(inside)).toEqual(['target.py']);
    expect(await readFile(path.join(inside, 'target.py'), 'utf8')).toMatch(/^written = \d+\n$/);
  }, 120_000);

  test('no walk of the workspace (the project check) lists a file outside', async () => {
    const { inside, outside } = await pair('pdir', 'inside.py');
    await writeFile(path.join(outside, 'outside_only.py'), `${CANARY}\n`);
    flipper = await startFlipping(inside, outside);
    let leaks = 0;
    let listed = 0;
    await repeat(
      WALKS,
      async () => {
        const { files } = await pythonFiles(ws, 500);
        if (files.includes('pdir/outside_only.py')) leaks += 1;
        if (files.includes('pdir/inside.py')) listed += 1;
      },
      () => listed > 0,
    );
    const flips = await flipper.stop();
    const summary = `${leaks} walks listed outside names, ${listed} the inside file; ${flips} swaps`;

    expect(leaks, summary).toBe(0);
    // Not vacuous: some walks got into the directory while it was the real one.
    expect(listed, summary).toBeGreaterThan(0);
  }, 120_000);
});
