/**
 * A copy of a Node-based language server's package that the sandbox's uid can read, for a server
 * the server (running as root) finds where that uid cannot: `npx` as root unpacks packages under
 * /root/.npm, and /root is mode 700. bwrap runs as the unprivileged uid, so it cannot mount
 * them from there.
 *
 * Only root makes copies, into a directory only root can write (/var/cache/isolated-pymcp): the
 * copy is built in a temporary directory and renamed into place whole, and an existing copy is
 * reused only while it and every directory above it belong to root and no one else can write
 * them (a sticky directory such as /tmp counts as safe: others cannot replace root's entries).
 */
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const READABLE_COPY_BASE = '/var/cache/isolated-pymcp';

/** Written last: a copy without it was interrupted and is made again. */
const COMPLETE = '.isolated-pymcp-complete';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The path of a readable copy of `source` named `name` (e.g. `pyright-1.1.414`) under `base`,
 * made now if there is none. Throws, with the reason, when no safe copy can be had.
 */
export async function readableCopy(
  source: string,
  name: string,
  base: string = READABLE_COPY_BASE,
): Promise<string> {
  if (!NAME.test(name)) throw new Error(`not a copy name: ${JSON.stringify(name)}`);
  await mkdir(base, { recursive: true, mode: 0o755 });
  await assertRootOnly(base, true);
  const target = path.join(base, name);
  if (await isComplete(target)) return target;
  const staging = await mkdtemp(path.join(base, `.${name}-`));
  try {
    // Symlinks are copied as links: inside the sandbox they resolve there, not on the host.
    await cp(source, staging, { recursive: true, verbatimSymlinks: true, force: false });
    await openUp(staging);
    await writeFile(path.join(staging, COMPLETE), '', { mode: 0o644 });
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another server may have put a complete copy in place meanwhile.
    if (await isComplete(target)) return target;
    throw error;
  }
  return target;
}

async function isComplete(target: string): Promise<boolean> {
  try {
    await assertRootOnly(target, false);
    return (await lstat(path.join(target, COMPLETE))).isFile();
  } catch {
    return false;
  }
}

/** `dir` (and, with `chain`, every directory above it) is root's and only root can write it. */
async function assertRootOnly(dir: string, chain: boolean): Promise<void> {
  const start = path.resolve(dir);
  for (let current = start; ; current = path.dirname(current)) {
    const info = await lstat(current);
    if (!info.isDirectory()) throw new Error(`${current} is not a directory`);
    const sticky = (info.mode & 0o1000) !== 0;
    if (info.uid !== 0 || ((info.mode & 0o022) !== 0 && !(sticky && current !== start))) {
      throw new Error(
        `${current} (mode ${(info.mode & 0o7777).toString(8)}, owner ${info.uid}) can be written by others than root`,
      );
    }
    if (!chain || current === path.dirname(current)) return;
  }
}

/** Directories 755, files 644 (755 when executable by their owner); links untouched. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await openUp(full);
    else if (entry.isFile()) {
      const { mode } = await lstat(full);
      await chmod(full, (mode & 0o100) !== 0 ? 0o755 : 0o644);
    }
  }
}
