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
import { statSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readPrivateFile, userCacheDir, writePrivateFile } from './user-cache.js';

/**
 * What the interpreter said, as kept: facts only. What follows from them (the sandbox's mounts)
 * is derived at each start, by the rules of the version running, never read from the file.
 */
export interface ProbeAnswer {
  /** Real path of the binary. */
  executable: string;
  version: string;
  basePrefix: string;
  sysPath: string[];
}

const RecordSchema = z.object({
  interpreter: z.string(),
  runtime: z.object({
    executable: z.string().min(1),
    version: z.string(),
    basePrefix: z.string(),
    sysPath: z.array(z.string()).max(1000),
  }),
  watched: z.array(z.tuple([z.string(), z.string()])).max(20_000),
});

const KIND = 'python';
/** How long before a probe a change of a file it depends on makes its answer not kept. */
const SETTLE_MS = 2000;

/** Where the answers of the interpreter at real path `interpreter` to `question` are kept. */
export interface ProbeCache {
  dir: string;
  interpreter: string;
  /** The probe's script: another script's answer is another file. */
  question: string;
}

/** The cache for `interpreter`'s answer to `question`, or null when there is no cache directory. */
export function openProbeCache(interpreter: string, question: string): ProbeCache | null {
  const dir = userCacheDir(KIND);
  return dir === null ? null : { dir, interpreter, question };
}

/** The answer `cache` holds, when still true. */
export function cachedProbe(cache: ProbeCache): ProbeAnswer | null {
  const data = readPrivateFile(path.join(cache.dir, recordName(cache)));
  if (data === undefined) return null;
  try {
    const record = RecordSchema.parse(JSON.parse(data.toString('utf8')));
    if (record.interpreter !== cache.interpreter) return null;
    for (const [file, was] of record.watched) {
      if (stampText(stamp(file)) !== was) return null;
    }
    return record.runtime;
  } catch {
    return null;
  }
}

/**
 * Keep `answer`, asked at `askedAt` (ms since the epoch), in `cache`, valid
 * while the `watched` files stay as now. Not kept when one of them changed during the probe or
 * shortly before it: the answer may predate that change, and a second change within the same
 * timestamp tick would leave the stamp as it is.
 */
export function saveProbe(
  cache: ProbeCache,
  answer: ProbeAnswer,
  watched: readonly string[],
  askedAt: number,
): void {
  const { interpreter } = cache;
  try {
    const files = [
      ...new Set([interpreter, answer.executable, ...answer.sysPath, ...watched]),
    ].filter((file) => path.isAbsolute(file));
    const settled = BigInt(askedAt - SETTLE_MS) * 1_000_000n;
    const stamps = files.map((file) => [file, stamp(file)] as const);
    // ctime: set by the kernel at every change, and not by utimes().
    if (stamps.some(([, info]) => info !== undefined && info.ctimeNs >= settled)) return;
    const record = {
      interpreter,
      runtime: answer,
      watched: stamps.map(([file, info]) => [file, stampText(info)]),
    };
    writePrivateFile(cache.dir, recordName(cache), JSON.stringify(record));
  } catch {
    // Not cached: the next start probes again.
  }
}

function recordName({ interpreter, question }: ProbeCache): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([interpreter, question]))
    .digest('hex');
  return `probe-${hash.slice(0, 32)}.json`;
}

/** A file's stat now, or undefined when it is missing (throws on any other failure). */
function stamp(file: string): BigIntStats | undefined {
  return statSync(file, { bigint: true, throwIfNoEntry: false });
}

/** How a stamp is kept: `missing`, or the file's identity and times. */
function stampText(info: BigIntStats | undefined): string {
  if (info === undefined) return 'missing';
  return [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs, info.mode].join(':');
}
