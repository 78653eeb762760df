/**
 * The sandbox profile: the exact bubblewrap command line for one sandbox. Pure (the host layout
 * is probed elsewhere and passed in), so every line of the security boundary is unit-tested.
 */
import type { Limits } from '../shared/config.js';
import type { PythonRuntime } from './python-runtime.js';

/** How a top-level directory such as /bin looks on the host. */
export type RootEntry = { kind: 'symlink'; target: string } | { kind: 'dir' } | { kind: 'missing' };

export interface HostLayout {
  /** /bin, /lib, /lib64, /sbin: symlinks into /usr on merged-/usr systems. */
  roots: Readonly<Record<string, RootEntry>>;
  /** Entries of /etc that exist on the host and are on the allowlist below. */
  etc: readonly string[];
}

/** Top-level directories Python may need besides /usr. */
export const ROOT_DIRS = ['/bin', '/lib', '/lib64', '/sbin'] as const;

/**
 * The only /etc entries a sandbox sees: the dynamic loader's cache and configuration (numpy and
 * other C extensions need them), alternatives (BLAS), the time zone and MIME types.
 * Security: no passwd, group, hosts, resolv.conf, ssl keys or machine-id.
 */
export const ETC_ALLOWLIST = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/localtime',
  '/etc/mime.types',
] as const;

/** Paths inside the sandbox. */
export const SANDBOX_PATHS = {
  workspace: '/workspace',
  scratch: '/tmp',
  worker: '/opt/isolated-pymcp/worker.py',
} as const;

/** uid and gid the code sees inside the sandbox. */
export const INNER_ID = 1000;

/** File descriptors as the sandbox receives them (Node's stdio array index). */
export const FDS = { protocol: 3, workerSource: 4 } as const;

export interface ProfileSpec {
  python: PythonRuntime;
  /** Host directory mounted read-only at /workspace, or null. */
  workspace: string | null;
  limits: Limits;
  layout: HostLayout;
}

/** Environment of the code: built from nothing, never copied from the server's. */
export function sandboxEnv(spec: ProfileSpec): Record<string, string> {
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

/** The worker's configuration, passed as its single argument. */
export function workerConfig(limits: Limits): string {
  return JSON.stringify({
    output_bytes: limits.outputBytes,
    return_value_bytes: limits.returnValueBytes,
    limits: {
      memory_bytes: limits.memoryBytes,
      cpu_seconds: limits.cpuSeconds,
      max_processes: limits.maxProcesses,
      file_size_bytes: limits.fileSizeBytes,
      open_files: limits.openFiles,
    },
  });
}

/** Arguments for `bwrap`, ending with the Python command line. */
export function bwrapArgs(spec: ProfileSpec): string[] {
  const args: string[] = [
    // Security: new user, pid, network, ipc, uts and cgroup namespaces. The network namespace
    // has only a down loopback device: no network at all, not even 127.0.0.1 on the host.
    '--unshare-all',
    '--unshare-user',
    // Security: the code cannot create nested user namespaces (a common kernel attack surface).
    '--disable-userns',
    // Security: the sandbox dies with the server, and has no controlling terminal (TIOCSTI).
    '--die-with-parent',
    '--new-session',
    '--uid',
    String(INNER_ID),
    '--gid',
    String(INNER_ID),
    '--hostname',
    'sandbox',
    // Security: no capabilities inside the namespace either.
    '--cap-drop',
    'ALL',
    // Security: the system's programs and libraries, read-only; nothing else from the host.
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const dir of ROOT_DIRS) {
    const entry = spec.layout.roots[dir];
    if (entry?.kind === 'symlink') args.push('--symlink', entry.target, dir);
    else if (entry?.kind === 'dir') args.push('--ro-bind', dir, dir);
  }
  for (const file of spec.layout.etc) args.push('--ro-bind', file, file);
  for (const dir of spec.python.extraMounts) args.push('--ro-bind', dir, dir);
  const scratch = String(spec.limits.scratchBytes);
  args.push(
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // Security: the only writable places are size-capped tmpfs mounts, private to this sandbox.
    '--perms',
    '1777',
    '--size',
    scratch,
    '--tmpfs',
    SANDBOX_PATHS.scratch,
    '--perms',
    '1777',
    '--size',
    scratch,
    '--tmpfs',
    '/dev/shm',
    // The worker arrives through a pipe, so the package's files need not be readable inside.
    '--perms',
    '0444',
    '--ro-bind-data',
    String(FDS.workerSource),
    SANDBOX_PATHS.worker,
  );
  if (spec.workspace !== null) {
    // Security: the workspace is visible but read-only.
    args.push('--ro-bind', spec.workspace, SANDBOX_PATHS.workspace);
  }
  args.push('--chdir', workdir(spec));
  for (const [name, value] of Object.entries(sandboxEnv(spec))) args.push('--setenv', name, value);
  // Security: the root tmpfs bwrap builds is read-only too (must come after every mount).
  args.push('--remount-ro', '/');
  // -I: ignore PYTHON* variables and the user site directory; -B: no .pyc writes.
  args.push(spec.python.executable, '-I', '-B', SANDBOX_PATHS.worker, workerConfig(spec.limits));
  return args;
}

/** The code's working directory: the workspace when there is one, else the scratch directory. */
export function workdir(spec: Pick<ProfileSpec, 'workspace'>): string {
  return spec.workspace === null ? SANDBOX_PATHS.scratch : SANDBOX_PATHS.workspace;
}
