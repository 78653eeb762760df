/**
 * Which virtual environment the sandboxes use, found the way Python tools find one, and which
 * host directories its interpreter needs. Only reads: nothing inside a virtual environment runs
 * on the host (its interpreter may be a copy planted in an untrusted workspace, and its .pth
 * files run code at start-up); the sandbox probes it (sandbox/environment-probe.ts).
 *
 * Order: --venv DIR; else --python, when it lives in a venv (pyvenv.cfg beside it or one level
 * up, CPython's rule), else no venv at all (an explicit base interpreter is used as it is); else
 * $VIRTUAL_ENV (the server's, read once at start-up); else <workspace>/.venv, <workspace>/venv.
 * Explicit choices that are not usable venvs are errors; implicit ones are skipped with a note.
 */
import { constants, type Dir } from 'node:fs';
import { access, lstat, opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { PymcpError, errorMessage } from './errors.js';
import { isUnder } from './path-within.js';
import type { VenvSource } from './python-environment.js';
import { readPyvenvCfg, type PyvenvCfg } from './pyvenv-cfg.js';
import { sameMountRefusal } from './sandbox-description.js';

export interface VenvRequest {
  /** --venv DIR, or false for --no-venv. */
  venv?: string | false | undefined;
  /** --python PATH. */
  python?: string | undefined;
  /** $VIRTUAL_ENV of the server's environment at start-up. */
  virtualEnv?: string | undefined;
  /** Real path of the workspace, or null. */
  workspace: string | null;
}

export interface FoundVenv {
  /** Real path of the venv directory. */
  root: string;
  source: VenvSource;
  /** The interpreter the sandbox runs: inside the venv, symlinks not resolved (CPython finds pyvenv.cfg from it). */
  interpreter: string;
  cfg: PyvenvCfg;
}

export interface VenvDiscovery {
  found: FoundVenv | null;
  /** Candidates passed over, and why (logged as warnings; shown by doctor). */
  skipped: string[];
}

/** Names CPython gives a venv's interpreter, in the order tried. */
const INTERPRETER_NAMES = ['python', 'python3'];

export async function findVenv(request: VenvRequest): Promise<VenvDiscovery> {
  const none = (skipped: string[] = []): VenvDiscovery => ({ found: null, skipped });
  if (request.venv === false) return none();
  if (typeof request.venv === 'string') {
    const found = await requireVenv(request.venv, '--venv');
    if (request.python !== undefined) await checkSameInterpreter(request.python, found);
    return { found, skipped: [] };
  }
  if (request.python !== undefined) {
    const root = await venvRootOf(request.python);
    if (root === null) return none();
    const lexical = path.resolve(request.python);
    return { found: await requireVenv(root, '--python', lexical), skipped: [] };
  }
  const skipped: string[] = [];
  const candidates: Array<[string, VenvSource]> = [];
  if (request.virtualEnv !== undefined && request.virtualEnv !== '')
    candidates.push([request.virtualEnv, '$VIRTUAL_ENV']);
  if (request.workspace !== null) {
    for (const name of ['.venv', 'venv'])
      candidates.push([path.join(request.workspace, name), 'workspace']);
  }
  const realWorkspace =
    request.workspace === null ? null : await realpath(request.workspace).catch(() => null);
  for (const [dir, source] of candidates) {
    try {
      const found = await openVenv(dir, source, { optional: true });
      // Security: a .venv in the workspace is the workspace's content; a symbolic link there to
      // a directory elsewhere would get that directory mounted into every sandbox.
      if (
        found !== null &&
        source === 'workspace' &&
        (realWorkspace === null || !isUnder(found.root, realWorkspace))
      ) {
        skipped.push(
          `workspace ${dir}: leads outside the workspace (a symbolic link); pass --venv DIR to use it`,
        );
        continue;
      }
      if (found !== null) return { found, skipped };
      if (source === '$VIRTUAL_ENV')
        skipped.push(`$VIRTUAL_ENV ${dir}: not a virtual environment (no pyvenv.cfg)`);
    } catch (error) {
      // The message names the source and the directory.
      skipped.push(errorMessage(error));
    }
  }
  return none(skipped);
}

/**
 * The venv an interpreter path belongs to (real path of the directory holding pyvenv.cfg), or
 * null: CPython looks beside the executable and one directory up, without resolving the
 * executable's own symlink (a venv's bin/python links to the base interpreter).
 */
export async function venvRootOf(interpreter: string): Promise<string | null> {
  const dir = path.dirname(path.resolve(interpreter));
  for (const candidate of [dir, path.dirname(dir)]) {
    try {
      const info = await stat(path.join(candidate, 'pyvenv.cfg'));
      if (info.isFile()) return await realpath(candidate);
    } catch {
      // not here
    }
  }
  return null;
}

async function requireVenv(
  dir: string,
  source: VenvSource,
  interpreterPath?: string,
): Promise<FoundVenv> {
  const found = await openVenv(
    dir,
    source,
    interpreterPath === undefined ? {} : { interpreterPath },
  );
  if (found === null) throw new PymcpError('config_invalid', `${source} ${dir}: not found`);
  return found;
}

/**
 * The venv at `dir`, checked: a directory with a pyvenv.cfg (read as hostile input) and an
 * interpreter that resolves to an executable file. Optional candidates that are simply absent
 * give null; anything else wrong is an error.
 */
async function openVenv(
  dir: string,
  source: VenvSource,
  options: { interpreterPath?: string; optional?: boolean } = {},
): Promise<FoundVenv | null> {
  const fail = (why: string): PymcpError =>
    new PymcpError('config_invalid', `${source} ${dir}: ${why}`);
  let root: string;
  try {
    root = await realpath(path.resolve(dir));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (options.optional === true && (code === 'ENOENT' || code === 'ENOTDIR')) return null;
    throw fail(code === 'ELOOP' ? 'a symbolic link loop' : errorMessage(error));
  }
  if (!(await stat(root)).isDirectory()) {
    if (options.optional === true) return null;
    throw fail('not a directory');
  }
  const cfg = await readPyvenvCfg(root);
  if (cfg === null) {
    if (options.optional === true) return null;
    throw fail('not a virtual environment (no pyvenv.cfg); create one with python3 -m venv');
  }
  const { interpreterPath } = options;
  const interpreter =
    interpreterPath === undefined
      ? await firstInterpreter(root)
      : path.join(root, path.relative(await venvDirOf(interpreterPath, root), interpreterPath));
  if (interpreter === null)
    throw fail(`no ${INTERPRETER_NAMES.map((n) => `bin/${n}`).join(' or ')}`);
  await checkInterpreter(interpreter, fail);
  return { root, source, interpreter, cfg };
}

/** The lexical directory (as the caller spelt it) whose real path is `root`. */
async function venvDirOf(interpreter: string, root: string): Promise<string> {
  const dir = path.dirname(interpreter);
  for (const candidate of [dir, path.dirname(dir)]) {
    if ((await realpath(candidate).catch(() => null)) === root) return candidate;
  }
  return dir;
}

async function firstInterpreter(root: string): Promise<string | null> {
  for (const name of INTERPRETER_NAMES) {
    const file = path.join(root, 'bin', name);
    try {
      // lstat: a dangling link or a link loop is still the interpreter, reported with its cause.
      await lstat(file);
      return file;
    } catch {
      // next name
    }
  }
  return null;
}

/**
 * The interpreter must resolve (the kernel bounds the symlink chain: a loop is ELOOP) to an
 * executable regular file. Only checked here, never run: the sandbox runs it.
 */
async function checkInterpreter(file: string, fail: (why: string) => PymcpError): Promise<void> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw fail(`${file} is a symbolic link loop`);
    if (code === 'ENOENT') throw fail(`${file} is missing or a dangling link`);
    throw fail(`${file}: ${errorMessage(error)}`);
  }
  const info = await stat(real);
  if (!info.isFile()) throw fail(`${file} resolves to ${real}, which is not a file`);
  try {
    await access(real, constants.X_OK);
  } catch {
    throw fail(`${file} resolves to ${real}, which is not executable`);
  }
}

/** --venv with --python: the two must name the same interpreter. */
async function checkSameInterpreter(python: string, found: FoundVenv): Promise<void> {
  const venvOfPython = await venvRootOf(python);
  const real = (file: string): Promise<string> => realpath(file).catch(() => file);
  // Another venv's interpreter is another environment, even where both link to one binary.
  const same =
    venvOfPython === null
      ? (await real(python)) === (await real(found.interpreter))
      : venvOfPython === found.root;
  if (same) return;
  throw new PymcpError(
    'config_invalid',
    `--python ${python} is not the interpreter of --venv ${found.root} (${found.interpreter}); pass one of them`,
  );
}

/**
 * The host directories the venv's interpreter needs besides /usr: the venv itself, and the
 * Python installation its bin/python links to (or pyvenv.cfg's `home` names), when outside
 * /usr. A link out of the venv is followed only to a directory that is a Python installation
 * (holds lib/python3.*\/os.py, the landmark CPython looks for), never to an arbitrary place.
 */
export async function venvMounts(found: FoundVenv, homeDir: string): Promise<string[]> {
  const dirs = [found.root];
  const real = await realpath(found.interpreter);
  if (!isUnder(real, found.root) && !isUnder(real, '/usr')) {
    const prefix = await installationOf(path.dirname(real));
    if (prefix === null) {
      throw new PymcpError(
        'config_invalid',
        `${found.interpreter} resolves to ${real}, which is not part of a Python installation (no lib/python3.*/os.py next to its bin/)`,
      );
    }
    dirs.push(prefix);
  }
  const home = found.cfg.home;
  if (home !== null && !isUnder(home, '/usr') && !isUnder(home, found.root)) {
    // Security: `home` is only a hint from a hostile file: one that names no installation, or
    // one that may not be mounted (the root, a home directory), is left out, and the probe shows
    // what CPython makes of the venv without it.
    const prefix = await installationOf(home).catch(() => null);
    if (prefix !== null && sameMountRefusal(prefix, homeDir) === null) dirs.push(prefix);
  }
  return dirs
    .filter((dir) => !isUnder(dir, '/usr'))
    .filter((dir, i, all) => !all.some((other, j) => j < i && isUnder(dir, other)));
}

/** Most entries of a lib/ directory looked at for the python3.X landmark. */
const MAX_LIB_ENTRIES = 512;

/**
 * The installation prefix of a bin directory (its parent, or itself when not named bin) when
 * that prefix holds lib/python3.X/os.py or lib64/python3.X/os.py; else null. Real path.
 */
export async function installationOf(binDir: string): Promise<string | null> {
  const real = await realpath(binDir).catch(() => null);
  if (real === null) return null;
  const prefix = path.basename(real) === 'bin' ? path.dirname(real) : real;
  for (const lib of ['lib', 'lib64']) {
    let dir: Dir;
    try {
      dir = await opendir(path.join(prefix, lib));
    } catch {
      continue;
    }
    try {
      let seen = 0;
      for await (const entry of dir) {
        if (++seen > MAX_LIB_ENTRIES) break;
        if (!/^python3\.\d+$/.test(entry.name)) continue;
        const landmark = await stat(path.join(prefix, lib, entry.name, 'os.py')).catch(() => null);
        if (landmark?.isFile() === true) return prefix;
      }
    } finally {
      await dir.close().catch(() => undefined);
    }
  }
  return null;
}
