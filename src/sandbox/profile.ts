/**
 * The execution sandbox's profile: the shared bubblewrap boundary (shared/bwrap.ts) plus the
 * Python worker, its limits and the workspace.
 */
import { getPriority } from 'node:os';
import { bwrapArgs as sharedBwrapArgs, type HostLayout } from '../shared/bwrap.js';
import type { Limits } from '../shared/config.js';
import type { PythonRuntime } from '../shared/python-runtime.js';
import { outputTailBytes } from './worker-protocol.js';

/** Paths inside the sandbox. */
export const SANDBOX_PATHS = {
  workspace: '/workspace',
  scratch: '/tmp',
  worker: '/opt/isolated-pymcp/worker.py',
} as const;

/** File descriptors as the sandbox receives them (Node's stdio array index). */
export const FDS = { protocol: 3, workerSource: 4 } as const;

export interface ProfileSpec {
  python: PythonRuntime;
  /** Host directory mounted read-only at /workspace, or null. */
  workspace: string | null;
  limits: Limits;
  layout: HostLayout;
}

/** The code's working directory: the workspace when there is one, else the scratch directory. */
export function workdir(spec: Pick<ProfileSpec, 'workspace'>): string {
  return spec.workspace === null ? SANDBOX_PATHS.scratch : SANDBOX_PATHS.workspace;
}

/** Environment of the code: built from nothing, never copied from the server's. */
export function sandboxEnv(spec: Pick<ProfileSpec, 'workspace'>): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: SANDBOX_PATHS.scratch,
    TMPDIR: SANDBOX_PATHS.scratch,
    USER: 'sandbox',
    LANG: 'C.UTF-8',
    PYTHONUNBUFFERED: '1',
    // Fewer malloc arenas and BLAS threads: less address space under RLIMIT_AS, fewer tasks
    // under RLIMIT_NPROC.
    MALLOC_ARENA_MAX: '2',
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    PWD: workdir(spec),
  };
}

/** How much lower than the server's the CPU priority of user code is (nice steps). */
const NICE_STEPS_BELOW_SERVER = 10;

/** The nice value sandboxes run at: below the server's own, so a busy sandbox cannot starve it. */
export function sandboxNice(): number {
  return Math.min(19, getPriority() + NICE_STEPS_BELOW_SERVER);
}

/** The worker's configuration, passed as its single argument. */
export function workerConfig(limits: Limits): string {
  return JSON.stringify({
    output_bytes: limits.outputBytes,
    output_tail_bytes: outputTailBytes(limits),
    return_value_bytes: limits.returnValueBytes,
    limits: {
      memory_bytes: limits.memoryBytes,
      cpu_seconds: limits.cpuSeconds,
      max_processes: limits.maxProcesses,
      file_size_bytes: limits.fileSizeBytes,
      open_files: limits.openFiles,
      nice: sandboxNice(),
    },
  });
}

/** Arguments for `bwrap`, ending with the Python command line. */
export function bwrapArgs(spec: ProfileSpec): string[] {
  return sharedBwrapArgs({
    layout: spec.layout,
    readOnly: [
      ...spec.python.extraMounts.map((dir) => [dir, dir] as const),
      // Security: the workspace is visible but read-only.
      ...(spec.workspace === null ? [] : [[spec.workspace, SANDBOX_PATHS.workspace] as const]),
    ],
    // The worker arrives through a pipe, so the package's files need not be readable inside.
    dataFiles: [[FDS.workerSource, SANDBOX_PATHS.worker]],
    scratchBytes: spec.limits.scratchBytes,
    chdir: workdir(spec),
    env: sandboxEnv(spec),
    // -I: ignore PYTHON* variables and the user site directory; -B: no .pyc writes.
    command: [spec.python.executable, '-I', '-B', SANDBOX_PATHS.worker, workerConfig(spec.limits)],
  });
}
