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

/**
 * The answer cached for the interpreter at real path `interpreter` to `question` (the probe's
 * script: another script's answer is another file), when still true.
 */
export function cachedProbe(interpreter: string, question: string): ProbeAnswer | null {
  const dir = userCacheDir(KIND);
  if (dir === null) return null;
  const data = readPrivateFile(path.join(dir, recordName(interpreter, question)));
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

/** Keep `answer`, of `interpreter` to `question`, valid while the `watched` files stay as now. */
export function saveProbe(
  interpreter: string,
  question: string,
  answer: ProbeAnswer,
  watched: readonly string[],
): void {
  const dir = userCacheDir(KIND);
  if (dir === null) return;
  try {
    const files = [
      ...new Set([interpreter, answer.executable, ...answer.sysPath, ...watched]),
    ].filter((file) => path.isAbsolute(file));
    const record = {
      interpreter,
      runtime: answer,
      watched: files.map((file) => [file, stamp(file)]),
    };
    writePrivateFile(dir, recordName(interpreter, question), JSON.stringify(record));
  } catch {
    // Not cached: the next start probes again.
  }
}

function recordName(interpreter: string, question: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([interpreter, question]))
    .digest('hex');
  return `probe-${hash.slice(0, 32)}.json`;
}

/** What a file is now: `missing`, or its identity and times (throws on any other failure). */
function stamp(file: string): string {
  const info = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (info === undefined) return 'missing';
  return [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs, info.mode].join(':');
}
