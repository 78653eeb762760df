/**
 * Resource limits in force from a sandbox's first instruction: util-linux's `prlimit` sets them
 * and execs the command, so what an interpreter runs at start-up (a virtual environment's .pth
 * files and sitecustomize, which a workspace supplies) is limited too, not only the code that
 * comes after the worker's own setrlimit calls (which stay, with the same values, for a host
 * without prlimit). Inside the sandbox prlimit is pid 1 and execs, so the command keeps pid 1.
 */
import { access, constants } from 'node:fs/promises';

/** util-linux's prlimit (Debian's util-linux is essential, so it is there). */
export const PRLIMIT = '/usr/bin/prlimit';

export interface StartLimits {
  /** RLIMIT_NPROC: processes and threads (per user namespace, so per sandbox). */
  processes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** RLIMIT_AS. */
  addressSpaceBytes?: number;
  /** RLIMIT_CPU. */
  cpuSeconds?: number;
  /** RLIMIT_FSIZE. */
  fileSizeBytes?: number;
}

/** PRLIMIT when it can be run, else null (the command then starts with the inherited limits). */
export async function findPrlimit(): Promise<string | null> {
  try {
    await access(PRLIMIT, constants.X_OK);
    return PRLIMIT;
  } catch {
    return null;
  }
}

/**
 * `command` under `limits` (soft = hard, and no core files), or as it is without prlimit.
 * Security: RLIMIT_NICE 0 too, so a priority lowered before (nice, the spawn's setPriority) cannot
 * be raised back by start-up code when the host's own RLIMIT_NICE allows it.
 */
export function limitedCommand(
  prlimit: string | null,
  limits: StartLimits,
  command: readonly string[],
): string[] {
  if (prlimit === null) return [...command];
  const optional: Array<[string, number | undefined]> = [
    ['--as', limits.addressSpaceBytes],
    ['--cpu', limits.cpuSeconds],
    ['--fsize', limits.fileSizeBytes],
  ];
  return [
    prlimit,
    `--nproc=${limits.processes}`,
    `--nofile=${limits.openFiles}`,
    ...optional.flatMap(([flag, value]) => (value === undefined ? [] : [`${flag}=${value}`])),
    '--core=0',
    '--nice=0',
    '--',
    ...command,
  ];
}
