/**
 * The execution sandbox's profile: the one sandbox description (shared/sandbox-description.ts:
 * the system, the Python environment, the workspace) plus what is the executor's own: the
 * worker, its limits and its variables.
 */
import { getPriority } from 'node:os';
import { bwrapArgs as sharedBwrapArgs, type HostLayout } from '../shared/bwrap.js';
import type { Limits } from '../shared/config.js';
import type { PythonEnvironment } from '../shared/python-environment.js';
import {
  OWN_FILES,
  SANDBOX_SCRATCH,
  SANDBOX_WORKSPACE,
  sandboxProfile,
  sandboxWorkdir,
  sharedEnv,
} from '../shared/sandbox-description.js';
import { limitedCommand, type StartLimits } from '../shared/start-limits.js';
import { IMAGE_CAPS, outputTailBytes } from './worker-protocol.js';

/** Paths inside the sandbox. */
export const SANDBOX_PATHS = {
  workspace: SANDBOX_WORKSPACE,
  scratch: SANDBOX_SCRATCH,
  worker: `${OWN_FILES.worker}/worker.py`,
  /** The worker's helper modules, loaded on first use (rich results, session files). */
  helpers: OWN_FILES.worker,
} as const;

/** The worker's helper modules, in python/, each handed over through a pipe of its own. */
export const WORKER_HELPERS = ['rich_results.py', 'session_files.py'] as const;

/** File descriptors as the sandbox receives them (Node's stdio array index). */
export const FDS = { protocol: 3, workerSource: 4, firstHelper: 5 } as const;

export interface ProfileSpec {
  /** The interpreter the worker runs and the directories it needs. */
  environment: PythonEnvironment;
  /** Host directory mounted read-only at /workspace, or null. */
  workspace: string | null;
  limits: Limits;
  layout: HostLayout;
  /** util-linux's prlimit, to start the worker under its limits (shared/start-limits.ts). */
  prlimit: string | null;
}

/** The code's working directory: the workspace when there is one, else the scratch directory. */
export function workdir(spec: Pick<ProfileSpec, 'workspace'>): string {
  return sandboxWorkdir(spec.workspace);
}

/** The executor's own variables, on top of the shared ones. */
const OWN_ENV = {
  PYTHONUNBUFFERED: '1',
  // Fewer malloc arenas and BLAS threads: less address space under RLIMIT_AS, fewer tasks
  // under RLIMIT_NPROC.
  MALLOC_ARENA_MAX: '2',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  // matplotlib: no display (plt.show() returns at once and keeps the figures for capture), and
  // its config and font cache on the writable scratch.
  MPLBACKEND: 'Agg',
  MPLCONFIGDIR: `${SANDBOX_SCRATCH}/.matplotlib`,
} as const;

/** The session's files: its scratch root, and the directory whose new files are linked. */
export const SCRATCH_FILES = {
  root: SANDBOX_SCRATCH,
  outputs: `${SANDBOX_SCRATCH}/outputs`,
} as const;

/** Environment of the code: built from nothing, never copied from the server's. */
export function sandboxEnv(
  spec: Pick<ProfileSpec, 'workspace' | 'environment'>,
): Record<string, string> {
  return { ...sharedEnv(spec), ...OWN_ENV };
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
    images: {
      max_count: limits.imageBytes === 0 ? 0 : IMAGE_CAPS.maxCount,
      max_side: IMAGE_CAPS.maxSide,
      max_pixels: IMAGE_CAPS.maxPixels,
      max_bytes: IMAGE_CAPS.maxBytes,
      // Raw PNG bytes whose base64 fits the image budget.
      total_bytes: Math.floor((limits.imageBytes * 3) / 4),
    },
    table: {
      text_rows: 30,
      text_cols: 12,
      text_colwidth: 40,
      record_rows: 1000,
      record_cols: 100,
      records_bytes: Math.min(limits.returnValueBytes, Math.floor(limits.responseBytes / 2)),
    },
    files: { ...SCRATCH_FILES, list_limit: 1000 },
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

/** The limits the worker sets on itself (worker.py _limit_resources), for prlimit. */
function startLimits(limits: Limits): StartLimits {
  return {
    processes: limits.maxProcesses,
    openFiles: limits.openFiles,
    addressSpaceBytes: limits.memoryBytes,
    cpuSeconds: limits.cpuSeconds,
    fileSizeBytes: limits.fileSizeBytes,
  };
}

/** Arguments for `bwrap`, ending with the Python command line. */
export function bwrapArgs(spec: ProfileSpec): string[] {
  return sharedBwrapArgs(
    sandboxProfile(spec, {
      // The worker arrives through a pipe, so the package's files need not be readable inside.
      dataFiles: [
        [FDS.workerSource, SANDBOX_PATHS.worker],
        ...WORKER_HELPERS.map(
          (name, index) => [FDS.firstHelper + index, `${SANDBOX_PATHS.helpers}/${name}`] as const,
        ),
      ],
      scratchBytes: spec.limits.scratchBytes,
      env: OWN_ENV,
      // -I: ignore PYTHON* variables and the user site directory (a venv's site-packages stay,
      // from its pyvenv.cfg); -B: no .pyc writes.
      // Security: under every limit from the first instruction on, before a venv's .pth files
      // and sitecustomize run (the worker sets the same limits again).
      command: limitedCommand(spec.prlimit, startLimits(spec.limits), [
        spec.environment.interpreter,
        '-I',
        '-B',
        SANDBOX_PATHS.worker,
        workerConfig(spec.limits),
      ]),
    }),
  );
}
