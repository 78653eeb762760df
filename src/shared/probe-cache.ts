/**
 * What an interpreter said about itself (version, prefix, `sys.path`), kept between runs so that
 * a server's start does not wait for the probe (~20 ms alone, 40-70 ms while the server's own
 * start-up shares the CPUs with it; `initialize` waits for it).
 *
 * An answer is reused only while every file it depends on is as it was when it was given: the
 * interpreter binary, each `sys.path` entry and site-packages directory (an added or removed
 * `.pth` changes its directory), each `.pth` file (edited in place) and `sitecustomize`, compared
 * by device, inode, size, mtime and ctime. Anything else (a stat that fails another way, a file
 * that does not parse) means probing again. The file lives in the user's own cache directory
 * (shared/user-cache.ts): it decides what a sandbox mounts.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readPrivateFile, userCacheDir, writePrivateFile } from './user-cache.js';

export interface ProbedRuntime {
  executable: string;
  version: string;
  extraMounts: string[];
  sysPath: string[];
}

const RecordSchema = z.object({
  interpreter: z.string(),
  runtime: z.object({
    executable: z.string().min(1),
    version: z.string(),
    extraMounts: z.array(z.string()).max(100),
    sysPath: z.array(z.string()).max(1000),
  }),
  watched: z.array(z.tuple([z.string(), z.string()])).max(20_000),
});

const KIND = 'python';

/** The answer cached for the interpreter at real path `interpreter`, when still true. */
export function cachedProbe(interpreter: string): ProbedRuntime | null {
  const dir = userCacheDir(KIND);
  if (dir === null) return null;
  const data = readPrivateFile(path.join(dir, recordName(interpreter)));
  if (data === undefined) return null;
  try {
    const record = RecordSchema.parse(JSON.parse(data.toString('utf8')));
    if (record.interpreter !== interpreter) return null;
    for (const [file, was] of record.watched) {
      if (stamp(file) !== was) return null;
    }
    return record.runtime;
  } catch {
    return null;
  }
}

/** Keep `runtime`, the answer of `interpreter`, valid while the `watched` files stay as now. */
export function saveProbe(
  interpreter: string,
  runtime: ProbedRuntime,
  watched: readonly string[],
): void {
  const dir = userCacheDir(KIND);
  if (dir === null) return;
  try {
    const files = [
      ...new Set([interpreter, runtime.executable, ...runtime.sysPath, ...watched]),
    ].filter((file) => path.isAbsolute(file));
    const record = { interpreter, runtime, watched: files.map((file) => [file, stamp(file)]) };
    writePrivateFile(dir, recordName(interpreter), JSON.stringify(record));
  } catch {
    // Not cached: the next start probes again.
  }
}

function recordName(interpreter: string): string {
  return `probe-${createHash('sha256').update(interpreter).digest('hex').slice(0, 32)}.json`;
}

/** What a file is now: `missing`, or its identity and times (throws on any other failure). */
function stamp(file: string): string {
  const info = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (info === undefined) return 'missing';
  return [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs, info.mode].join(':');
}
