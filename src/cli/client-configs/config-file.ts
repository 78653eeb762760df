/**
 * Reading and replacing a client's configuration file: bounded, UTF-8, through a symlink to the
 * file it names (dotfile managers link these), with a timestamped backup of the previous content
 * and an atomic rename, so a crash or a full disk never leaves half a file.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { PymcpError, errorMessage } from '../../shared/errors.js';
import { isUnder } from '../../shared/path-within.js';

/** Larger than any client configuration; a bigger file is not one. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface CurrentFile {
  /** The file itself (a symlink resolved). */
  realPath: string;
  text: string;
  mode: number;
  /** What the file was when read: checked again just before the rename. */
  stamp: string;
}

function fileStamp(s: { ino: number; size: number; mtimeMs: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** The file's text, or null when there is none yet. */
export async function readConfigFile(file: string): Promise<CurrentFile | null> {
  let realPath: string;
  try {
    realPath = await realpath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw failed(`cannot read ${file}`, error);
  }
  let handle;
  try {
    handle = await open(realPath, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw failed(`cannot read ${file}`, error);
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new PymcpError('file_failed', `${file} is not a regular file`);
    if (s.size > MAX_CONFIG_BYTES) {
      throw new PymcpError(
        'file_failed',
        `${file} is larger than ${MAX_CONFIG_BYTES} bytes; not a client configuration`,
      );
    }
    const buffer = Buffer.alloc(s.size);
    const { bytesRead } = await handle.read(buffer, 0, s.size, 0);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, bytesRead));
    } catch {
      throw new PymcpError('file_failed', `${file} is not UTF-8 text; left untouched`);
    }
    return { realPath, text, mode: s.mode & 0o7777, stamp: fileStamp(s) };
  } finally {
    await handle.close();
  }
}

/**
 * A file of the project (under `cwd`) must stay in the project once symlinks are followed: a
 * cloned repository could carry `.mcp.json` or `.vscode/` as a link to a file of the user's.
 */
export async function assertStaysInProject(file: string, cwd: string): Promise<void> {
  const lexical = path.resolve(cwd, file);
  if (!isUnder(lexical, cwd)) return;
  const project = await realpath(cwd);
  // The deepest part of the path that exists, resolved; the rest is created under it.
  let existing = lexical;
  let rest = '';
  for (;;) {
    try {
      const real = await realpath(existing);
      // Security: refuse to follow a project's symlink out of the project (a planted link).
      if (!isUnder(path.join(real, rest), project)) {
        throw new PymcpError(
          'file_failed',
          `${lexical} leads out of the project (${path.join(real, rest)}) through a symbolic link; left untouched`,
        );
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      rest = path.join(path.basename(existing), rest);
      existing = path.dirname(existing);
    }
  }
}

/** `FILE.YYYYMMDD-HHMMSS.bak`, or `...-2.bak` and on if that exists: a backup never replaces one. */
async function backUp(current: CurrentFile, now: Date): Promise<string> {
  const iso = now.toISOString();
  const base = `${current.realPath}.${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  for (let n = 1; n < 100; n++) {
    const backup = n === 1 ? `${base}.bak` : `${base}-${n}.bak`;
    try {
      await copyFile(current.realPath, backup, fsConstants.COPYFILE_EXCL);
      return backup;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw failed(`cannot back up ${current.realPath}`, error);
    }
  }
  throw new PymcpError(
    'file_failed',
    `cannot back up ${current.realPath}: too many backups this second`,
  );
}

/**
 * Replace `file` with `text`: the previous content backed up first, the new one written to a
 * temporary file beside it, flushed, then renamed over it. Returns the backup's path, if any.
 */
export async function writeConfigFile(
  file: string,
  current: CurrentFile | null,
  text: string,
  now = new Date(),
): Promise<string | null> {
  const target = current?.realPath ?? path.resolve(file);
  // The rename below would replace a read-only file as readily as any other (even as root):
  // someone made it read-only to keep it as it is.
  if (current !== null && (current.mode & 0o222) === 0) {
    throw new PymcpError(
      'file_failed',
      `${target} is read-only (mode ${current.mode.toString(8)}); left untouched: make it writable to update it, or add the entry by hand`,
    );
  }
  const dir = path.dirname(target);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw failed(`cannot create ${dir}`, error);
  }
  const backup = current === null ? null : await backUp(current, now);
  const temporary = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  let handle;
  try {
    // Security: 'wx' never follows a symlink planted at the temporary name, nor reuses a file.
    handle = await open(temporary, 'wx', current?.mode ?? 0o644);
  } catch (error) {
    throw failed(`cannot write in ${dir}`, error);
  }
  try {
    try {
      await handle.writeFile(text, 'utf8');
      if (current !== null) await handle.chmod(current.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await checkUnchanged(target, current);
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error instanceof PymcpError ? error : failed(`cannot write ${target}`, error);
  }
  return backup;
}

/** Refuse to replace a file that someone else changed (or created) since it was read. */
async function checkUnchanged(target: string, current: CurrentFile | null): Promise<void> {
  let now: string | null;
  try {
    now = fileStamp(await stat(target));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    now = null;
  }
  if (now !== (current?.stamp ?? null)) {
    throw new PymcpError(
      'file_failed',
      `${target} changed while it was being updated; left as it is now, run the command again`,
    );
  }
}

function failed(message: string, error: unknown): PymcpError {
  return new PymcpError('file_failed', `${message}: ${errorMessage(error)}`, { cause: error });
}
