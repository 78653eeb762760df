/**
 * The Python environment every sandbox runs: an interpreter, what it can import (its sys.path)
 * and the host directories it needs. Either a virtual environment (found by venv-discovery.ts,
 * probed inside a sandbox) or, without one, the system interpreter with its site-packages.
 */
import type { PythonRuntime } from './python-runtime.js';

/** How the virtual environment was found, in the order discovery tries them. */
export const VENV_SOURCES = ['--venv', '--python', '$VIRTUAL_ENV', 'workspace'] as const;
export type VenvSource = (typeof VENV_SOURCES)[number];

export interface VirtualEnv {
  /** Real path of the venv; mounted read-only at this same path in every sandbox. */
  root: string;
  source: VenvSource;
  /** pyvenv.cfg's include-system-site-packages. */
  includeSystemSitePackages: boolean;
}

export interface PythonEnvironment {
  /** The interpreter the sandboxes run, as a path valid inside them (a venv's own bin/python). */
  interpreter: string;
  /** Python version, as the interpreter reports it. */
  version: string;
  /** Host directories mounted read-only at their own paths (besides /usr, always mounted). */
  mounts: readonly string[];
  /** sys.path under `python -I`: where imports come from. */
  sysPath: readonly string[];
  venv: VirtualEnv | null;
}

/** No virtual environment: the system interpreter and its own site-packages. */
export function systemEnvironment(python: PythonRuntime): PythonEnvironment {
  return {
    interpreter: python.executable,
    version: python.version,
    mounts: python.extraMounts,
    sysPath: python.sysPath,
    venv: null,
  };
}

const SOURCE_TEXT: Record<VenvSource, string> = {
  '--venv': 'from --venv',
  '--python': 'the venv of --python',
  $VIRTUAL_ENV: 'from $VIRTUAL_ENV',
  workspace: 'found in the workspace',
};

/** One line for people and models: "virtual environment /p/.venv (found in the workspace), Python 3.11.2". */
export function describeEnvironment(environment: PythonEnvironment): string {
  const { venv } = environment;
  if (venv === null)
    return `system Python ${environment.version} (${environment.interpreter}), no virtual environment`;
  const system = venv.includeSystemSitePackages ? ', with the system site-packages' : '';
  return `virtual environment ${venv.root} (${SOURCE_TEXT[venv.source]}${system}), Python ${environment.version}`;
}
