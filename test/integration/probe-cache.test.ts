/**
 * The interpreter probe's cache, with the real CPython: an answer is reused only while the files
 * it depends on are unchanged, only from a private directory, and never by `doctor`'s fresh probe.
 */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cachedProbe, openProbeCache, saveProbe } from '../../src/shared/probe-cache.js';
import { resolvePython } from '../../src/shared/python-runtime.js';

const PYTHON = '/usr/bin/python3';
const SITE_FILES = [
  'import json,os,site',
  'd=site.getsitepackages()',
  'print(json.dumps(d+[os.path.join(s,f) for s in d if os.path.isdir(s) for f in os.listdir(s) if f.endswith(".pth")]))',
].join('\n');

let cacheHome: string;
let savedXdg: string | undefined;
beforeEach(async () => {
  cacheHome = await mkdtemp(path.join(tmpdir(), 'pymcp-probe-cache-'));
  savedXdg = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cacheHome;
});
afterEach(async () => {
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
  await rm(cacheHome, { recursive: true, force: true });
});

const recordDir = (): string => path.join(cacheHome, 'isolated-pymcp', 'python');

async function recordFile(): Promise<string> {
  const names = await readdir(recordDir());
  expect(names).toHaveLength(1);
  return path.join(recordDir(), names[0]!);
}

interface ProbeRecord {
  interpreter: string;
  runtime: { version: string; sysPath: string[] };
  watched: Array<[string, string]>;
}

/** Rewrite the record on disk (as another version of the interpreter would have left it). */
async function editRecord(edit: (record: ProbeRecord) => void): Promise<void> {
  const file = await recordFile();
  const record = JSON.parse(await readFile(file, 'utf8')) as ProbeRecord;
  edit(record);
  await writeFile(file, JSON.stringify(record), { mode: 0o600 });
}

describe('the probe cache', () => {
  test('records the answer with the files it depends on, and gives the same answer again', async () => {
    const fresh = await resolvePython(PYTHON, { cached: true });
    const record = JSON.parse(await readFile(await recordFile(), 'utf8')) as ProbeRecord;
    const watched = record.watched.map(([file]) => file);
    expect(watched).toContain(fresh.executable);
    for (const entry of fresh.sysPath) expect(watched).toContain(entry);
    // What shapes sys.path besides its entries: each site directory (existing or not) and the
    // .pth files in them, as the interpreter itself lists them.
    const shaping = JSON.parse(
      execFileSync(PYTHON, ['-I', '-c', SITE_FILES], { encoding: 'utf8' }),
    ) as string[];
    for (const file of shaping) expect(watched).toContain(file);
    expect(await resolvePython(PYTHON, { cached: true })).toEqual(fresh);
  });

  test('is used while every file it depends on is unchanged, and only then', async () => {
    const real = await resolvePython(PYTHON, { cached: true });
    const marker = path.join(cacheHome, 'site.pth');
    await writeFile(marker, 'one\n');
    const info = statSync(marker, { bigint: true });
    const stamp = [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs, info.mode].join(':');
    await editRecord((record) => {
      record.runtime.version = '3.99.0';
      record.watched.push([marker, stamp]);
    });
    // The record is what is answered: proof that the probe did not run.
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe('3.99.0');
    // doctor probes afresh.
    expect((await resolvePython(PYTHON)).version).toBe(real.version);
    // A file it depends on changes (a .pth edited in place): probed again, and re-recorded.
    await utimes(marker, new Date(), new Date(Date.now() + 5000));
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe(real.version);
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe(real.version);
  });

  test('a file it depends on that appears (a new site directory) means probing again', async () => {
    const real = await resolvePython(PYTHON, { cached: true });
    const later = path.join(cacheHome, 'not-yet');
    await editRecord((record) => {
      record.runtime.version = '3.99.0';
      record.watched.push([later, 'missing']);
    });
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe('3.99.0');
    await writeFile(later, '');
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe(real.version);
  });

  test('is not read from a directory others can write, nor when damaged or for another binary', async () => {
    const real = await resolvePython(PYTHON, { cached: true });
    await editRecord((record) => {
      record.runtime.version = '3.99.0';
    });
    await chmod(recordDir(), 0o777);
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe(real.version);
    await chmod(recordDir(), 0o700);
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe('3.99.0');
    await editRecord((record) => {
      record.interpreter = '/somewhere/else/python3';
    });
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe(real.version);
    await writeFile(await recordFile(), '{"interpreter": ', { mode: 0o600 });
    expect((await resolvePython(PYTHON, { cached: true })).version).toBe(real.version);
  });

  test('is not kept when a file it depends on changed during the probe or just before', () => {
    const pth = path.join(cacheHome, 'racing.pth');
    const answer = { executable: PYTHON, version: '3.99.0', basePrefix: '/usr', sysPath: [] };
    const asked = Date.now();
    writeFileSync(pth, 'written while pip installs\n');
    const cache = openProbeCache(PYTHON, 'question');
    if (cache === null) throw new Error('no cache directory');
    saveProbe(cache, answer, [pth], asked);
    expect(cachedProbe(cache)).toBeNull();
    // The same file, settled long before the probe: kept.
    saveProbe(cache, answer, [pth], asked + 60_000);
    expect(cachedProbe(cache)).toEqual(answer);
  });

  test("mounts what this version's rules derive, not mounts a record lists (an older version's)", async () => {
    const fresh = await resolvePython(PYTHON, { cached: true });
    await editRecord((record) => {
      // The planted version proves the record is what answers (the probe did not run again).
      Object.assign(record.runtime, { extraMounts: ['/', '/etc'], version: '3.99.0' });
    });
    const cached = await resolvePython(PYTHON, { cached: true });
    expect(cached.version).toBe('3.99.0');
    expect(cached.extraMounts).toEqual(fresh.extraMounts);
  });

  test('is neither read nor written with ISOLATED_PYMCP_CACHE=off', async () => {
    process.env.ISOLATED_PYMCP_CACHE = 'off';
    try {
      await resolvePython(PYTHON, { cached: true });
      await expect(readdir(recordDir())).rejects.toThrow(/ENOENT/);
    } finally {
      delete process.env.ISOLATED_PYMCP_CACHE;
    }
  });
});
