/**
 * The Python environment the sandboxes run: a virtual environment when discovery finds one
 * (shared/venv-discovery.ts), else the system interpreter. A venv's interpreter is asked what it
 * makes of itself (version, sys.prefix, sys.path) inside a sandbox built from the same
 * description as every other, never on the host: its .pth files run code at start-up.
 */
import { homedir } from 'node:os';
import { z } from 'zod';
import { bwrapArgs, type HostLayout } from '../shared/bwrap.js';
import { namesWorkspace } from '../shared/editable-installs.js';
import type { Config } from '../shared/config.js';
import { PymcpError, errorMessage } from '../shared/errors.js';
import { unreachableReason } from '../shared/host-layout.js';
import { isUnder } from '../shared/path-within.js';
import { runCommand } from '../shared/process.js';
import { limitedCommand, type StartLimits } from '../shared/start-limits.js';
import {
  systemEnvironment,
  type PythonEnvironment,
  type VirtualEnv,
} from '../shared/python-environment.js';
import type { PythonRuntime } from '../shared/python-runtime.js';
import { sameMountRefusal, sandboxProfile } from '../shared/sandbox-description.js';
import {
  findVenv,
  venvMounts,
  type FoundVenv,
  type VenvDiscovery,
} from '../shared/venv-discovery.js';

const PROBE =
  'import json, sys; print(json.dumps({"version": sys.version.split()[0], "prefix": sys.prefix, "path": sys.path}))';
const ProbeSchema = z.object({
  version: z.string().min(1).max(64),
  prefix: z.string(),
  path: z.array(z.string().max(4096)).max(1000),
});
const PROBE_TIMEOUT_MS = 15_000;
const PROBE_SCRATCH_BYTES = 16 * 1024 * 1024;
/** One interpreter asked three questions: a few threads, files and seconds, no large writes. */
const PROBE_LIMITS: StartLimits = {
  processes: 16,
  openFiles: 256,
  addressSpaceBytes: 1024 * 1024 * 1024,
  cpuSeconds: PROBE_TIMEOUT_MS / 1000,
  fileSizeBytes: PROBE_SCRATCH_BYTES,
};

export interface EnvironmentHost {
  bwrap: string;
  /** util-linux's prlimit, or null (shared/start-limits.ts). */
  prlimit: string | null;
  layout: HostLayout;
  hostIds: { uid: number; gid: number } | null;
  /** The host-trusted interpreter: the environment when there is no venv. */
  python: PythonRuntime;
  /** Real path of the workspace, or null. */
  workspace: string | null;
}

export interface ResolvedEnvironment {
  environment: PythonEnvironment;
  /** Virtual environments passed over, and why. */
  skipped: string[];
}

/** `discovered`: findVenv's answer for this config and workspace, when the caller has it already. */
export async function resolveEnvironment(
  config: Pick<Config, 'venv' | 'python' | 'virtualEnv'>,
  host: EnvironmentHost,
  discovered?: Promise<VenvDiscovery>,
): Promise<ResolvedEnvironment> {
  const { found, skipped } = await (discovered ??
    findVenv({
      venv: config.venv,
      python: config.python,
      virtualEnv: config.virtualEnv,
      workspace: host.workspace,
    }));
  if (found !== null) {
    try {
      return { environment: await venvEnvironment(found, host), skipped };
    } catch (error) {
      // Asked for by name: an error. Found by looking around: passed over, said out loud.
      if (found.source === '--venv' || found.source === '--python') throw error;
      skipped.push(`${found.root}: ${errorMessage(error)}`);
    }
  }
  const environment = systemEnvironment(host.python);
  await checkMounts(environment.mounts, host.hostIds, `the interpreter ${environment.interpreter}`);
  return { environment, skipped };
}

async function venvEnvironment(
  found: FoundVenv,
  host: EnvironmentHost,
): Promise<PythonEnvironment> {
  const mounts = await venvMounts(found, homedir());
  await checkMounts(mounts, host.hostIds, `the virtual environment ${found.root}`);
  const venv: VirtualEnv = {
    root: found.root,
    source: found.source,
    includeSystemSitePackages: found.cfg.includeSystemSitePackages,
  };
  // Security: the venv's interpreter (and its .pth files) run only here, inside a sandbox.
  const args = bwrapArgs(
    sandboxProfile(
      { layout: host.layout, environment: { mounts, venv }, workspace: host.workspace },
      // -I, as the worker and the language servers run it: no PYTHON* variables, no user site.
      // Security: limited from its first instruction, as its .pth files run code at start-up.
      {
        scratchBytes: PROBE_SCRATCH_BYTES,
        command: limitedCommand(host.prlimit, PROBE_LIMITS, [found.interpreter, '-I', '-c', PROBE]),
      },
    ),
  );
  const result = await runCommand(host.bwrap, args, {
    // Security: an empty environment and, under root, the sandbox's unprivileged ids.
    env: {},
    timeoutMs: PROBE_TIMEOUT_MS,
    maxOutputBytes: 1024 * 1024,
    ...(host.hostIds ?? {}),
  });
  const failed = (why: string): PymcpError =>
    new PymcpError(
      'config_invalid',
      `${found.interpreter} does not start in the sandbox: ${why}`.slice(0, 2000),
    );
  if (result.exitCode !== 0)
    throw failed(result.stderr.trim() || `exit ${result.exitCode ?? result.signal ?? '?'}`);
  let probed;
  try {
    probed = ProbeSchema.parse(JSON.parse(result.stdout));
  } catch (error) {
    throw failed(`unexpected answer (${errorMessage(error).slice(0, 200)})`);
  }
  if (probed.prefix !== found.root)
    throw failed(`it ran, but not as this virtual environment (sys.prefix is ${probed.prefix})`);
  return {
    interpreter: found.interpreter,
    version: probed.version,
    mounts: [...mounts, ...(await editableMount(found.root, probed.path, host))],
    sysPath: probed.path,
    venv,
  };
}

/**
 * The workspace at its own path, when the venv has an editable install of it (see
 * editable-installs.ts) and that path may be mounted (the same rules as the venv's own
 * directories: not a home directory, nothing over the sandbox's paths); else nothing.
 */
async function editableMount(
  venvRoot: string,
  sysPath: readonly string[],
  host: EnvironmentHost,
): Promise<string[]> {
  const workspace = host.workspace;
  if (workspace === null) return [];
  const siteDirs = sysPath.filter((dir) => isUnder(dir, venvRoot));
  if (!(await namesWorkspace(siteDirs, workspace))) return [];
  return sameMountRefusal(workspace, homedir()) === null ? [workspace] : [];
}

/**
 * Every same-path mount is checked: safe to show a sandbox (no root, no home, nothing the
 * sandbox uses itself), and, under root, reachable by the sandbox's uid (bwrap resolves mount
 * sources with its credentials).
 */
async function checkMounts(
  mounts: readonly string[],
  hostIds: { uid: number; gid: number } | null,
  what: string,
): Promise<void> {
  for (const dir of mounts) {
    // Security: no root, no home directory, nothing over the sandbox's own paths.
    const refusal = sameMountRefusal(dir, homedir());
    if (refusal !== null)
      throw new PymcpError('config_invalid', `refusing to mount ${dir} for ${what}: ${refusal}`);
    const reason = hostIds === null ? null : await unreachableReason(dir, hostIds.uid, hostIds.gid);
    if (reason !== null && hostIds !== null) {
      throw new PymcpError(
        'config_invalid',
        `the sandbox runs as uid ${hostIds.uid} and cannot reach ${dir} (${what}): ${reason}; make it and its parents readable by others (chmod o+rx)`,
      );
    }
  }
}
