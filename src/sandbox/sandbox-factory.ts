/**
 * Everything a sandbox needs that is found once at start-up: bubblewrap, the real Python, the
 * host layout, the worker source, the workspace, the Python environment (a virtual environment
 * or the system's). Returns a function that starts sandboxes.
 */
import { access, constants, readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { sandboxHostIds, type Config } from '../shared/config.js';
import { PymcpError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { packageFile } from '../shared/package-root.js';
import { probeHostLayout, unreachableReason } from '../shared/host-layout.js';
import type { PythonEnvironment } from '../shared/python-environment.js';
import {
  isUnder,
  likelyInterpreter,
  resolvePython,
  type PythonRuntime,
} from '../shared/python-runtime.js';
import { findPrlimit, PRLIMIT } from '../shared/start-limits.js';
import { findVenv, type VenvDiscovery } from '../shared/venv-discovery.js';
import { resolveEnvironment } from './environment-probe.js';
import { WORKER_HELPERS, bwrapArgs } from './profile.js';
import { Sandbox, type SandboxSpec } from './sandbox-process.js';

const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap'];
const START_TIMEOUT_MS = 15_000;

export interface SandboxFactory {
  start(): Promise<Sandbox>;
  spec: Readonly<SandboxSpec>;
  /** The host-trusted interpreter (probed on the host; runs pylsp). */
  python: PythonRuntime;
  /** What the sandboxes run: a virtual environment, or the system interpreter. */
  environment: PythonEnvironment;
  /** Virtual environments found but passed over, and why. */
  skippedVenvs: readonly string[];
}

export async function createSandboxFactory(
  config: Config,
  logger: Logger,
  options: {
    workspaceIsDefault?: boolean;
    /**
     * Start the first sandbox while the interpreter is still being probed, when its command
     * line can be foreseen; the first start() returns it. Only for a caller that calls start()
     * at once (a warming pool): an early sandbox nobody takes would outlive its owner.
     */
    startEarly?: boolean;
    /**
     * Called once the processes this starts on its own (the probe, an early sandbox) are
     * spawned: from then on the caller may keep the event loop busy without delaying them.
     */
    spawned?: () => void;
  } = {},
): Promise<SandboxFactory> {
  // The probe runs the interpreter (tens of ms): everything else is found meanwhile.
  // Cached between runs (probe-cache.ts): `initialize` waits for it.
  const probing = resolvePython(config.python, { cached: true });
  probing.catch(() => undefined);
  const [bwrap, prlimit, layout, workerSource, helperSources] = await Promise.all([
    findBwrap(),
    findPrlimit(),
    probeHostLayout(),
    readFile(workerPath()),
    Promise.all(WORKER_HELPERS.map((name) => readFile(packageFile('python', name)))),
  ]);
  if (prlimit === null)
    logger.warn(
      `${PRLIMIT} is missing (apt-get install util-linux): sandboxes limit themselves only once Python has started, so a virtual environment's start-up code (.pth files, sitecustomize) runs unlimited`,
    );
  const hostIds = sandboxHostIds(config);
  const workspace = await resolveWorkspace(
    config.workspace,
    hostIds,
    options.workspaceIsDefault ?? false,
    logger,
  );
  const base = {
    bwrap,
    prlimit,
    layout,
    workerSource,
    helperSources,
    workspace,
    limits: config.limits,
    hostIds,
    startTimeoutMs: START_TIMEOUT_MS,
    logger,
  };
  // Found once: the early sandbox and the environment both go by it.
  const venvs = findVenv({
    venv: config.venv,
    python: config.python,
    virtualEnv: config.virtualEnv,
    workspace,
  });
  venvs.catch(() => undefined);
  const early = options.startEarly === true ? await startEarly(config.python, base, venvs) : null;
  options.spawned?.();
  try {
    const python = await probing;
    const { environment, skipped } = await resolveEnvironment(
      config,
      { bwrap, prlimit, layout, hostIds, python, workspace },
      venvs,
    );
    for (const note of skipped) logger.warn(`not using the virtual environment ${note}`);
    const spec: SandboxSpec = { ...base, environment };
    let first: Promise<Sandbox> | null = null;
    if (early !== null) {
      // Security: the early sandbox is kept only if it is exactly the sandbox `spec` describes
      // (same mounts, environment variables, limits and command), else it is thrown away.
      if (sameSandbox(early.spec, spec)) {
        first = early.sandbox;
      } else {
        logger.debug('the sandbox started early differs from the probed environment; discarded');
        discard(early.sandbox);
      }
    }
    const start = (): Promise<Sandbox> => {
      const sandbox = first ?? Sandbox.start(spec);
      first = null;
      return sandbox;
    };
    return { start, spec, python, environment, skippedVenvs: skipped };
  } catch (error) {
    if (early !== null) discard(early.sandbox);
    throw error;
  }
}

/**
 * A sandbox started before the interpreter's probe has answered, on the foreseeable case: no
 * virtual environment to find and an interpreter under /usr (always mounted; nothing else to
 * mount). The caller compares its spec with the probed one before using it.
 */
async function startEarly(
  python: string | undefined,
  base: Omit<SandboxSpec, 'environment'>,
  discovery: Promise<VenvDiscovery>,
): Promise<{ spec: SandboxSpec; sandbox: Promise<Sandbox> } | null> {
  const [interpreter, venvs] = await Promise.all([
    likelyInterpreter(python),
    discovery.catch(() => null),
  ]);
  if (interpreter === null || !isUnder(interpreter, '/usr')) return null;
  if (venvs === null || venvs.found !== null || venvs.skipped.length > 0) return null;
  const environment: PythonEnvironment = {
    interpreter,
    version: '',
    mounts: [],
    sysPath: [],
    venv: null,
  };
  const spec: SandboxSpec = { ...base, environment };
  const sandbox = Sandbox.start(spec);
  sandbox.catch(() => undefined);
  return { spec, sandbox };
}

/** Whether two specs start the same sandbox: the same bwrap command line, as the same user. */
function sameSandbox(a: SandboxSpec, b: SandboxSpec): boolean {
  const left = bwrapArgs(a);
  const right = bwrapArgs(b);
  return (
    a.bwrap === b.bwrap &&
    a.hostIds === b.hostIds &&
    left.length === right.length &&
    left.every((arg, index) => arg === right[index])
  );
}

function discard(sandbox: Promise<Sandbox>): void {
  void sandbox.then(
    (s) => s.close(),
    () => undefined,
  );
}

/** python/worker.py, shipped with the package. */
export function workerPath(): string {
  return packageFile('python', 'worker.py');
}

export async function findBwrap(): Promise<string> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => path.isAbsolute(d));
  for (const candidate of [...BWRAP_CANDIDATES, ...dirs.map((d) => path.join(d, 'bwrap'))]) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new PymcpError(
    'bwrap_not_found',
    'bubblewrap (bwrap) is not installed. Install it: apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)',
  );
}

/**
 * The workspace to mount, or null. A default workspace (the server's working directory) that
 * would expose a home directory or the whole file system is dropped with a warning.
 */
async function resolveWorkspace(
  requested: string | null,
  hostIds: { uid: number; gid: number } | null,
  isDefault: boolean,
  logger: Logger,
): Promise<string | null> {
  if (requested === null) return null;
  let dir: string;
  try {
    dir = await realpath(requested);
  } catch (error) {
    throw new PymcpError('config_invalid', `workspace ${requested}: ${errorMessage(error)}`);
  }
  const unsafe = unsafeWorkspaceReason(dir);
  if (unsafe !== null) {
    if (!isDefault) throw new PymcpError('config_invalid', `refusing workspace ${dir}: ${unsafe}`);
    logger.warn(
      `not mounting the working directory ${dir} as the workspace (${unsafe}); pass --workspace DIR`,
    );
    return null;
  }
  if (hostIds !== null) {
    const reason = await unreachableReason(dir, hostIds.uid, hostIds.gid);
    if (reason !== null) {
      const message =
        `the sandbox runs as uid ${hostIds.uid} and cannot reach workspace ${dir}: ${reason}. ` +
        'Use a workspace outside private directories, or make its parents searchable (chmod o+x)';
      if (!isDefault) throw new PymcpError('config_invalid', message);
      logger.warn(`${message}; running without a workspace`);
      return null;
    }
  }
  return dir;
}

/** Security: never mount the root, a home directory, or a directory holding home directories. */
export function unsafeWorkspaceReason(dir: string, home = homedir()): string | null {
  if (dir === path.parse(dir).root) return 'it is the root of the file system';
  for (const sensitive of [home, '/home', '/root']) {
    if (isUnder(sensitive, dir)) return `it contains ${sensitive}, which may hold secrets`;
  }
  return null;
}
