/**
 * What the sandboxed code can import: the distributions (*.dist-info, *.egg-info) on the
 * environment's sys.path, first one of a name wins, as importlib.metadata sees them. Read on the
 * host without running anything, and only what a sandbox could read too: every directory and
 * file is checked, through its descriptor, to lie inside the directories the sandboxes mount
 * (/usr and the environment's own), so a symlink in a site-packages cannot show the host's
 * files. Every read is bounded.
 */
import { constants, type Dir } from 'node:fs';
import { open, opendir } from 'node:fs/promises';
import path from 'node:path';
import { descriptorPath } from './descriptor-path.js';
import { readHeadAndClose } from './file-head.js';
import { stampOf } from './file-stamp.js';
import { isUnder } from './path-within.js';
import type { PythonEnvironment } from './python-environment.js';

export interface InstalledPackage {
  name: string;
  version: string;
  /** The sys.path directory it was found in. */
  location: string;
}

/** Bytes of a METADATA / PKG-INFO file read: Name and Version are among its first headers. */
const METADATA_HEAD_BYTES = 8 * 1024;
/** Entries looked at in one sys.path directory and in all, and distributions reported in all. */
const MAX_DIR_ENTRIES = 20_000;
export const MAX_LISTED_ENTRIES = 200_000;
export const MAX_PACKAGES = 5_000;
const MAX_FIELD_CHARS = 200;

/** Directories whose contents a sandbox sees at the same path. */
export function readableRoots(environment: Pick<PythonEnvironment, 'mounts'>): string[] {
  return ['/usr', ...environment.mounts];
}

export interface PackageScan {
  packages: InstalledPackage[];
  /** Why the scan ended before it had seen every sys.path directory whole, or null. */
  stopped: string | null;
}

type Environment = Pick<PythonEnvironment, 'mounts' | 'sysPath'>;

export async function listInstalledPackages(environment: Environment): Promise<InstalledPackage[]> {
  return (await scanInstalledPackages(environment)).packages;
}

/**
 * The distributions on sys.path. Security: a sys.path comes from the environment's own
 * interpreter and .pth files, which a hostile workspace venv controls (up to 1,000 entries):
 * each directory is scanned once however often it is listed, and one scan reads at most
 * MAX_LISTED_ENTRIES entries in all and reports at most MAX_PACKAGES distributions.
 */
export async function scanInstalledPackages(
  environment: Environment,
  maxEntries = MAX_LISTED_ENTRIES,
): Promise<PackageScan> {
  const roots = readableRoots(environment);
  const seen = new Set<string>();
  const found: InstalledPackage[] = [];
  const budget = { entries: maxEntries };
  const stop = (why: string): PackageScan => ({ packages: sortByName(found), stopped: why });
  for (const dir of scannedDirectories(environment)) {
    for (const item of await distributionsIn(dir, roots, budget)) {
      const key = normalizeName(item.name);
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(item);
      if (found.length >= MAX_PACKAGES)
        return stop(`the scan stopped at ${MAX_PACKAGES} distributions`);
    }
    if (budget.entries < 0) return stop(`the scan stopped at ${maxEntries} directory entries`);
  }
  return { packages: sortByName(found), stopped: null };
}

/**
 * The sys.path directories a scan reads, in order, each once. Security: only absolute entries
 * inside mounted directories (no '' or relative entries, which would mean the server's own
 * working directory here).
 */
function scannedDirectories(environment: Environment): string[] {
  const roots = readableRoots(environment);
  const dirs = new Set<string>();
  for (const entry of environment.sysPath) {
    if (!path.isAbsolute(entry)) continue;
    // resolve, not normalize: "/a/b/" and "/a/b" are one directory.
    const dir = path.resolve(entry);
    if (roots.some((root) => isUnder(dir, root))) dirs.add(dir);
  }
  return [...dirs];
}

/**
 * scanInstalledPackages, kept while none of the scanned directories changed (an install or an
 * upgrade adds or renames a *.dist-info entry, which changes its directory's mtime).
 */
export class PackageListing {
  private last: { stamps: string; scan: PackageScan } | null = null;

  constructor(private readonly environment: Environment) {}

  async scan(): Promise<PackageScan> {
    const stamps = scannedDirectories(this.environment)
      .map((dir) => stampOf(dir) ?? '-')
      .join('|');
    if (this.last?.stamps === stamps) return this.last.scan;
    const scan = await scanInstalledPackages(this.environment);
    this.last = { stamps, scan };
    return scan;
  }
}

/** PEP 503 normalisation: case-insensitive, runs of -, _ and . are one. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function sortByName(items: InstalledPackage[]): InstalledPackage[] {
  return items.sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name)));
}

async function distributionsIn(
  dir: string,
  roots: string[],
  budget: { entries: number },
): Promise<InstalledPackage[]> {
  const handle = await openInside(dir, roots, constants.O_DIRECTORY);
  if (handle === null) return [];
  const names: string[] = [];
  let listing: Dir | null = null;
  try {
    // Listed through the checked descriptor, and at most MAX_DIR_ENTRIES entries of it.
    listing = await opendir(`/proc/self/fd/${handle.fd}`);
    let count = 0;
    for await (const entry of listing) {
      if (++count > MAX_DIR_ENTRIES || --budget.entries < 0) break;
      if (entry.name.endsWith('.dist-info') || entry.name.endsWith('.egg-info'))
        names.push(entry.name);
    }
  } catch {
    return [];
  } finally {
    await handle.close();
  }
  names.sort();
  const items: InstalledPackage[] = [];
  for (const name of names) {
    const item = await readDistribution(path.join(dir, name), roots);
    if (item !== null) items.push({ ...item, location: dir });
  }
  return items;
}

/** Name and version of one distribution: from its metadata, else from its directory name. */
async function readDistribution(
  entry: string,
  roots: string[],
): Promise<{ name: string; version: string } | null> {
  const base = path.basename(entry);
  const fromName = /^(.+?)-([^-]+)\.(?:dist|egg)-info$/.exec(base);
  const candidates = base.endsWith('.dist-info')
    ? [path.join(entry, 'METADATA')]
    : [path.join(entry, 'PKG-INFO'), entry]; // an .egg-info is a directory or a PKG-INFO file
  for (const file of candidates) {
    const head = await readHead(file, roots);
    if (head === null) continue;
    const fields = headers(head);
    const name = fields.get('name') ?? fromName?.[1];
    const version = fields.get('version') ?? fromName?.[2] ?? '?';
    if (name !== undefined) return { name: clean(name), version: clean(version) };
  }
  return fromName === null
    ? null
    : { name: clean(fromName[1] ?? ''), version: clean(fromName[2] ?? '?') };
}

/** RFC 822-style headers up to the first blank line, keys lower-cased; first one wins. */
function headers(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith(' ') || line.startsWith('\t')) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(key)) fields.set(key, line.slice(colon + 1).trim());
  }
  return fields;
}

/** Printable, short. */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  return value.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_FIELD_CHARS);
}

/** The first bytes of a regular file inside the roots, or null. */
async function readHead(file: string, roots: string[]): Promise<string | null> {
  const handle = await openInside(file, roots, 0);
  return handle === null ? null : readHeadAndClose(handle, METADATA_HEAD_BYTES);
}

/** Open `file`; keep it only when what was opened really lies inside one of the roots. */
async function openInside(file: string, roots: string[], flags: number) {
  let handle;
  try {
    // O_NONBLOCK: a FIFO planted in a site-packages does not hang the call.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | flags);
  } catch {
    return null;
  }
  const where = await descriptorPath(handle);
  // Security: a symlink (anywhere along the path) to outside the mounted directories, e.g. to
  // the server's home, is refused: the listing shows nothing a sandbox could not read itself.
  if (where === null || !roots.some((root) => isUnder(where, root))) {
    await handle.close();
    return null;
  }
  return handle;
}
