/**
 * The language server's sandbox: the one sandbox description (shared/sandbox-description.ts:
 * the system, the Python environment at its own paths, the workspace at /workspace) plus what is
 * the server's own: its files, its limits and its command line. And what it is told about the
 * Python environment, so that it resolves imports the way the code runs them.
 */
import type { BwrapProfile, HostLayout } from '../shared/bwrap.js';
import type { PythonEnvironment } from '../shared/python-environment.js';
import { limitedCommand, type StartLimits } from '../shared/start-limits.js';
import { SANDBOX_WORKSPACE, sandboxProfile } from '../shared/sandbox-description.js';
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

export function languageServerProfile(spec: LspSandboxSpec): BwrapProfile {
  const { launch, environment } = spec;
  // Security: process, file and core limits for the language server too.
  const command = limitedCommand(spec.prlimit, LANGUAGE_SERVER_LIMITS, launch.command);
  return sandboxProfile(spec, {
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
  spec: Pick<LspSandboxSpec, 'environment' | 'workspace'>,
): SettingsOptions {
  const { environment } = spec;
  return {
    // pyright runs this interpreter (inside its sandbox, where the venv is at the same path)
    // to learn sys.path: a venv's own bin/python gives the venv's site-packages.
    pythonPath: environment.interpreter,
    extraPaths: spec.workspace === null ? [] : [SANDBOX_WORKSPACE],
    // pylsp's jedi: the venv's interpreter (jedi runs it for sys.path); none: pylsp's own.
    jediEnvironment: environment.venv === null ? null : environment.interpreter,
  };
}
