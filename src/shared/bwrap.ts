/**
 * The bubblewrap command line both sandboxes share (the Python worker and the language server):
 * every namespace, an unprivileged uid, read-only system files, size-capped scratch, an empty
 * environment. Pure, so every line of the boundary is unit-tested.
 */

/** How a top-level directory such as /bin looks on the host. */
export type RootEntry = { kind: 'symlink'; target: string } | { kind: 'dir' } | { kind: 'missing' };

export interface HostLayout {
  /** /bin, /lib, /lib64, /sbin: symlinks into /usr on merged-/usr systems. */
  roots: Readonly<Record<string, RootEntry>>;
  /** Entries of /etc that exist on the host and are on the allowlist below. */
  etc: readonly string[];
}

/** Top-level directories programs may need besides /usr. */
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
  // Debian's matplotlib reads its default settings from here (and from nowhere else); fontconfig
  // (which matplotlib asks for the system's fonts) its configuration.
  '/etc/matplotlibrc',
  '/etc/fonts',
] as const;

/** Size cap of /dev/shm in a sandbox. */
export const SHM_BYTES = 16 * 1024 * 1024;

/** uid and gid the code sees inside a sandbox. */
export const INNER_ID = 1000;

/** A file handed over through an inherited pipe: [fd, sandbox path], and its mode (0444). */
export type DataFile = readonly [number, string] | readonly [number, string, '0444' | '0555'];

export interface BwrapProfile {
  layout: HostLayout;
  /** Extra read-only bind mounts: [host path, sandbox path]. */
  readOnly: ReadonlyArray<readonly [string, string]>;
  /** Files handed over through an inherited pipe, mounted read-only. */
  dataFiles: ReadonlyArray<DataFile>;
  /** Size of the writable /tmp (/dev/shm gets at most SHM_BYTES). */
  scratchBytes: number;
  chdir: string;
  env: Readonly<Record<string, string>>;
  command: readonly string[];
}

export function bwrapArgs(profile: BwrapProfile): string[] {
  const args: string[] = [
    // Security: new user, pid, network, ipc, uts and cgroup namespaces. The network namespace
    // has only a down loopback device: no network at all, not even 127.0.0.1 on the host.
    '--unshare-all',
    '--unshare-user',
    // Security: no nested user namespaces (a common kernel attack surface).
    '--disable-userns',
    // Security: the command itself is the pid namespace's init. bwrap's own reaper would be a
    // process inside the sandbox, with the sandbox's uid, that the command's limits (set by the
    // command on itself) do not cover: code could ptrace it or write its /proc/1/mem and run
    // there with no memory, CPU or process limit. Orphans are then the command's to reap.
    '--as-pid-1',
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
    const entry = profile.layout.roots[dir];
    if (entry?.kind === 'symlink') args.push('--symlink', entry.target, dir);
    else if (entry?.kind === 'dir') args.push('--ro-bind', dir, dir);
  }
  for (const file of profile.layout.etc) args.push('--ro-bind', file, file);
  const scratch = String(profile.scratchBytes);
  // /dev/shm is for semaphores and small shared buffers; tmpfs pages are not counted by
  // RLIMIT_AS, so it gets a small cap of its own instead of a second full scratch allowance.
  const shm = String(Math.min(profile.scratchBytes, SHM_BYTES));
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
    '/tmp',
    '--perms',
    '1777',
    '--size',
    shm,
    '--tmpfs',
    '/dev/shm',
  );
  for (const [source, target] of profile.readOnly) args.push('--ro-bind', source, target);
  for (const [fd, target, mode] of profile.dataFiles)
    args.push('--perms', mode ?? '0444', '--ro-bind-data', String(fd), target);
  args.push('--chdir', profile.chdir);
  for (const [name, value] of Object.entries(profile.env)) args.push('--setenv', name, value);
  // Security: the root tmpfs bwrap builds is read-only too (must come after every mount).
  args.push('--remount-ro', '/');
  args.push(...profile.command);
  return args;
}
