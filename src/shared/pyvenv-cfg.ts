/**
 * pyvenv.cfg, the file that makes a directory a virtual environment. It comes from a directory
 * the server does not control (a workspace's .venv), so it is read as hostile input: never
 * through a symbolic link, never from anything but a regular file, at most 64 KiB, and only the
 * keys CPython itself reads, each checked before use.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { PymcpError, errorMessage } from './errors.js';

export const PYVENV_CFG = 'pyvenv.cfg';
/** A real pyvenv.cfg is a few hundred bytes. */
export const MAX_PYVENV_CFG_BYTES = 64 * 1024;
const MAX_VALUE_CHARS = 4096;

export interface PyvenvCfg {
  /** `home`: the directory of the base interpreter; null when missing or not a clean absolute path. */
  home: string | null;
  /** `include-system-site-packages`: CPython's site.py compares the lower-cased value to "true". */
  includeSystemSitePackages: boolean;
  /** `version` (uv writes `version_info`), as declared; for display only, never trusted. */
  version: string | null;
}

/**
 * The keys CPython reads, the way it reads them: `key = value` lines, keys compared
 * lower-cased, values stripped. getpath.py stops at the first `home`; site.py lets a later
 * `include-system-site-packages` win.
 */
export function parsePyvenvCfg(text: string): PyvenvCfg {
  let home: string | null | undefined;
  let includeSystemSitePackages = false;
  let version: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'home' && home === undefined) home = cleanPath(value);
    else if (key === 'include-system-site-packages')
      includeSystemSitePackages = value.toLowerCase() === 'true';
    else if ((key === 'version' || key === 'version_info') && version === null)
      version = /^[0-9][0-9A-Za-z.+-]{0,31}$/.test(value) ? value : null;
  }
  return { home: home ?? null, includeSystemSitePackages, version };
}

/** An absolute, normalised path with no control characters, or null. */
function cleanPath(value: string): string | null {
  if (value === '' || value.length > MAX_VALUE_CHARS) return null;
  // Security: a NUL or a newline in a path would be a different path to the kernel or to a log.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  if (!path.isAbsolute(value)) return null;
  return path.normalize(value);
}

/**
 * Read `<dir>/pyvenv.cfg`: null when there is none (the directory is no virtual environment);
 * a PymcpError when there is one that cannot be a real one (a link, a FIFO, too large).
 */
export async function readPyvenvCfg(dir: string): Promise<PyvenvCfg | null> {
  const file = path.join(dir, PYVENV_CFG);
  let handle;
  try {
    // Security: O_NOFOLLOW refuses a pyvenv.cfg that is a symlink to elsewhere (whose content
    // would reach error messages); O_NONBLOCK keeps a FIFO planted there from hanging start-up.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw invalid(file, 'it is a symbolic link');
    throw invalid(file, errorMessage(error));
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw invalid(file, 'it is not a regular file');
    // Security: bounded read; a huge (or growing) file is refused, never read whole.
    if (info.size > MAX_PYVENV_CFG_BYTES)
      throw invalid(file, `it is larger than ${MAX_PYVENV_CFG_BYTES / 1024} KiB`);
    const buffer = Buffer.alloc(MAX_PYVENV_CFG_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_PYVENV_CFG_BYTES)
      throw invalid(file, `it is larger than ${MAX_PYVENV_CFG_BYTES / 1024} KiB`);
    return parsePyvenvCfg(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

function invalid(file: string, why: string): PymcpError {
  return new PymcpError(
    'config_invalid',
    `${file} is not a usable virtual environment file: ${why}`,
  );
}
