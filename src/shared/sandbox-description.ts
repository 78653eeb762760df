/**
 * The one description of a sandbox, shared by the Python executor and the language server.
 * Every sandbox mounts the same things: the system (bwrap.ts), the Python environment's
 * directories at their own paths, the workspace at /workspace; and it gets the same variables
 * and working directory. Each kind adds only what is its own (the worker, the language server's
 * files, its command line), so a mount added here holds for both. Pure: unit-tested line by line.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { BwrapProfile, DataFile, HostLayout } from './bwrap.js';
import { PymcpError } from './errors.js';
import { isUnder } from './path-within.js';
import type { PythonEnvironment } from './python-environment.js';

export const SANDBOX_WORKSPACE = '/workspace';
export const SANDBOX_SCRATCH = '/tmp';
/** Where each kind of sandbox mounts its own files. */
export const OWN_FILES = {
  worker: '/opt/isolated-pymcp',
  languageServer: '/opt/lsp',
  /** The language server's sandbox: the environment's interpreter under limits of its own. */
  limitedPython: '/opt/isolated-pymcp-python',
} as const;

/** What every sandbox gets. */
export interface SharedSandbox {
  layout: HostLayout;
  environment: Pick<PythonEnvironment, 'mounts' | 'venv'>;
  /** Host directory mounted read-only at /workspace, or null. */
  workspace: string | null;
}

/** What one kind of sandbox adds. */
export interface OwnPart {
  /** Read-only bind mounts of its own: [host path, sandbox path]. */
  mounts?: ReadonlyArray<readonly [string, string]>;
  /** Files handed over through an inherited pipe: [fd, sandbox path], and a mode (0444). */
  dataFiles?: ReadonlyArray<DataFile>;
  scratchBytes: number;
  /** Variables of its own, on top of the shared ones. */
  env?: Readonly<Record<string, string>>;
  command: readonly string[];
}

/** The working directory: the workspace when there is one, else the scratch directory. */
export function sandboxWorkdir(workspace: string | null): string {
  return workspace === null ? SANDBOX_SCRATCH : SANDBOX_WORKSPACE;
}

/**
 * Variables every sandbox gets, built from nothing (never copied from the server's). With a
 * virtual environment, what activating it sets: its bin/ first on PATH, and VIRTUAL_ENV.
 */
export function sharedEnv(
  shared: Pick<SharedSandbox, 'environment' | 'workspace'>,
): Record<string, string> {
  const venv = shared.environment.venv;
  const systemPath = '/usr/local/bin:/usr/bin:/bin';
  return {
    PATH: venv === null ? systemPath : `${path.join(venv.root, 'bin')}:${systemPath}`,
    HOME: SANDBOX_SCRATCH,
    TMPDIR: SANDBOX_SCRATCH,
    USER: 'sandbox',
    LANG: 'C.UTF-8',
    PWD: sandboxWorkdir(shared.workspace),
    ...(venv !== null && { VIRTUAL_ENV: venv.root }),
  };
}

export function sandboxProfile(shared: SharedSandbox, own: OwnPart): BwrapProfile {
  return {
    layout: shared.layout,
    readOnly: [
      // The Python environment at its own paths: a venv's pyvenv.cfg `home`, its symlinks to the
      // base interpreter, its scripts' shebangs and .pth files name absolute paths.
      ...shared.environment.mounts.map((dir) => [dir, dir] as const),
      ...(own.mounts ?? []),
      // Security: the workspace is visible but read-only.
      ...(shared.workspace === null ? [] : [[shared.workspace, SANDBOX_WORKSPACE] as const]),
    ],
    dataFiles: own.dataFiles ?? [],
    scratchBytes: own.scratchBytes,
    chdir: sandboxWorkdir(shared.workspace),
    env: { ...sharedEnv(shared), ...own.env },
    command: own.command,
  };
}

/** Paths a sandbox uses itself: an environment mounted at its own path must stay clear of them. */
const RESERVED = [
  SANDBOX_WORKSPACE,
  OWN_FILES.worker,
  OWN_FILES.languageServer,
  OWN_FILES.limitedPython,
  '/proc',
  '/dev',
  '/sys',
  '/etc',
  '/run',
  '/bin',
  '/lib',
  '/lib64',
  '/sbin',
];

/**
 * Why the host directory `dir` (a real path) must not be mounted at its own path in a sandbox,
 * or null when it may. Directories under /usr need no mount (all of /usr is mounted).
 */
export function sameMountRefusal(dir: string, home: string): string | null {
  if (!path.isAbsolute(dir) || path.normalize(dir) !== dir)
    return 'it is not a normalised absolute path';
  // Security: never the whole file system, a home directory or a directory holding homes.
  if (dir === path.parse(dir).root) return 'it is the root of the file system';
  for (const sensitive of [home, '/home', '/root']) {
    if (isUnder(sensitive, dir)) return `it contains ${sensitive}, which may hold secrets`;
  }
  // Security: a mount over (or under) a path the sandbox itself uses would replace what the
  // sandbox expects there, e.g. the workspace or the worker.
  for (const reserved of RESERVED) {
    if (isUnder(dir, reserved) || isUnder(reserved, dir))
      return `it overlaps ${reserved}, which the sandbox uses itself`;
  }
  // Under /tmp is fine (mounted over the sandbox's private scratch); /tmp itself is not.
  if (isUnder(SANDBOX_SCRATCH, dir)) return `it contains ${SANDBOX_SCRATCH}, the sandbox's scratch`;
  return null;
}

/**
 * The environment's directories are real paths resolved at start-up and bound at every sandbox
 * start by path. Security: one swapped since for a symbolic link (`rm -r .venv && ln -s ~ .venv`
 * in a workspace) would otherwise mount whatever it points to; such a sandbox is not started.
 * Called right before each spawn (executor and language server).
 */
export function assertMountsUnchanged(mounts: readonly string[]): void {
  for (const dir of mounts) {
    let real: string | null;
    try {
      real = realpathSync.native(dir);
    } catch {
      real = null;
    }
    if (real !== dir) {
      throw new PymcpError(
        'sandbox_start_failed',
        `the Python environment directory ${dir} changed since start-up (moved, removed or replaced by a symbolic link); restart the server`,
      );
    }
  }
}
