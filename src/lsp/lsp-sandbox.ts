/**
 * The language server's sandbox: the one sandbox description (shared/sandbox-description.ts:
 * the system, the Python environment at its own paths, the workspace at /workspace) plus what is
 * the server's own: its files, its limits and its command line. And what it is told about the
 * Python environment, so that it resolves imports the way the code runs them.
 */
import type { BwrapProfile, HostLayout } from '../shared/bwrap.js';
import type { PythonEnvironment } from '../shared/python-environment.js';
import { limitedCommand, type StartLimits } from '../shared/start-limits.js';
import { OWN_FILES, SANDBOX_WORKSPACE, sandboxProfile } from '../shared/sandbox-description.js';
import type { ServerLaunch, SettingsOptions } from './servers.js';

export interface LspSandboxSpec {
  layout: HostLayout;
  /** The Python environment the code runs; the server analyses imports against it. */
  environment: PythonEnvironment;
  /** Host directory mounted read-only at /workspace, or null (snippets only). */
  workspace: string | null;
  launch: ServerLaunch;
  /** Wrap the command in prlimit (when /usr/bin/prlimit exists). */
  prlimit: string | null;
  scratchBytes: number;
}

/** A language server's processes (pylsp's jedi subprocesses, pyright's workers) and files. */
const LANGUAGE_SERVER_LIMITS: StartLimits = { processes: 256, openFiles: 4096 };

/**
 * A virtual environment's interpreter as the language servers run it: pyright to learn its
 * sys.path, jedi (pylsp) for that and for a long-lived subprocess that imports compiled
 * modules. Its start-up code (.pth files, sitecustomize) is the workspace's, so it runs under
 * limits of its own, which the language server (node, whose address space V8 reserves in
 * gigabytes) cannot have: memory, CPU time, processes, and 10 nice steps lower, so it cannot
 * starve the language server. jedi starts a new subprocess when one dies.
 */
const ENVIRONMENT_LIMITS: StartLimits = {
  processes: 64,
  openFiles: 1024,
  addressSpaceBytes: 4 * 1024 * 1024 * 1024,
  cpuSeconds: 600,
  fileSizeBytes: 64 * 1024 * 1024,
};

/** Where the limited interpreter is in the sandbox, and the fd its script arrives through. */
export const LIMITED_PYTHON = { path: `${OWN_FILES.limitedPython}/python`, fd: 3 } as const;

/**
 * Whether the servers run the environment's interpreter through LIMITED_PYTHON: not when it is
 * the system's (root-owned, as trusted as the rest of /usr), nor without prlimit (then the
 * language server's own limits are all there is).
 */
function limitsEnvironment(spec: Pick<LspSandboxSpec, 'environment' | 'prlimit'>): boolean {
  return spec.prlimit !== null && spec.environment.venv !== null;
}

/** The script that runs the environment's interpreter under ENVIRONMENT_LIMITS, or null. */
export function limitedPythonScript(
  spec: Pick<LspSandboxSpec, 'environment' | 'prlimit'>,
): string | null {
  if (spec.prlimit === null || !limitsEnvironment(spec)) return null;
  const command = [
    '/usr/bin/nice',
    '-n',
    '10',
    ...limitedCommand(spec.prlimit, ENVIRONMENT_LIMITS, [spec.environment.interpreter]),
  ];
  return `#!/bin/sh\nexec ${command.map(shellQuote).join(' ')} "$@"\n`;
}

/** One word for sh, whatever the path holds (a workspace's venv can have any name). */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

export function languageServerProfile(spec: LspSandboxSpec): BwrapProfile {
  const { launch, environment } = spec;
  // Security: process, file and core limits for the language server too.
  const command = limitedCommand(spec.prlimit, LANGUAGE_SERVER_LIMITS, launch.command);
  return sandboxProfile(spec, {
    dataFiles: limitsEnvironment(spec) ? [[LIMITED_PYTHON.fd, LIMITED_PYTHON.path, '0555']] : [],
    // The environment's directories are mounted already; the server adds only its own.
    mounts: launch.mounts.filter(
      ([host, target]) => !(host === target && environment.mounts.includes(host)),
    ),
    scratchBytes: spec.scratchBytes,
    command,
  });
}

/** What the server's settings say about the environment and the workspace. */
export function settingsOptions(
  spec: Pick<LspSandboxSpec, 'environment' | 'workspace' | 'prlimit'>,
): SettingsOptions {
  const { environment } = spec;
  // The venv's interpreter, run through the script that limits it (as the same interpreter:
  // prlimit and nice exec it, so it reports the venv's own sys.path).
  const interpreter = limitsEnvironment(spec) ? LIMITED_PYTHON.path : environment.interpreter;
  return {
    // pyright runs this interpreter (inside its sandbox, where the venv is at the same path)
    // to learn sys.path: a venv's own bin/python gives the venv's site-packages.
    pythonPath: interpreter,
    extraPaths: spec.workspace === null ? [] : [SANDBOX_WORKSPACE],
    // pylsp's jedi: the venv's interpreter (jedi runs it for sys.path); none: pylsp's own.
    jediEnvironment: environment.venv === null ? null : interpreter,
  };
}
