/**
 * Finds the real CPython binary the sandbox runs. A pyenv shim costs ~300 ms a spawn and lives
 * under a home directory, so we ask the interpreter for sys.executable once and use that.
 */
import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { PymcpError } from './errors.js';
import { isUnder } from './path-within.js';
import { cachedProbe, openProbeCache, saveProbe, type ProbeAnswer } from './probe-cache.js';
import { runCommand } from './process.js';
import { venvRootOf } from './venv-discovery.js';

export { isUnder };

export interface PythonRuntime {
  /** Real path of the interpreter binary. */
  executable: string;
  version: string;
  /** Directories outside /usr the interpreter needs, mounted read-only in the sandbox. */
  extraMounts: string[];
  /** sys.path under `-I`, as the sandboxed worker sees it. */
  sysPath: string[];
}

const DEFAULT_CANDIDATES = ['/usr/bin/python3', '/usr/local/bin/python3'] as const;
/**
 * The interpreter's answer, and the files it depends on (for probe-cache.ts): the site-packages
 * directories, the `.pth` files in them and `sitecustomize`, all of which shape `sys.path`.
 */
const PROBE = [
  'import json,os,site,sys',
  'sites=list(getattr(site,"getsitepackages",list)())',
  'pth=[os.path.join(d,f) for d in sites if os.path.isdir(d) for f in os.listdir(d) if f.endswith(".pth")]',
  'm=getattr(sys.modules.get("sitecustomize"),"__file__",None)',
  'print(json.dumps([sys.executable,sys.version.split()[0],sys.base_prefix,sys.path,sites+pth+([m] if m else [])]))',
].join('\n');
const ProbeSchema = z.tuple([
  z.string().min(1),
  z.string(),
  z.string(),
  z.array(z.string()).max(1000),
  z.array(z.string()).max(10_000),
]);

/**
 * The interpreter the server itself may run on the host (to probe it, and for pylsp): the
 * requested one, else the first of the usual places. Security: an interpreter whose binary lies
 * inside a virtual environment (a `--copies` venv) is never run on the host, since the venv may
 * come from an untrusted workspace; the sandboxes run it instead (see venv-discovery.ts).
 */
export async function resolvePython(
  requested?: string,
  options: { cached?: boolean } = {},
): Promise<PythonRuntime> {
  const candidates =
    // Security: a binary inside a venv is not run on the host; the usual places are probed instead.
    requested !== undefined && !(await binaryInsideVenv(requested))
      ? [requested]
      : [...DEFAULT_CANDIDATES, ...(await pathCandidates('python3'))];
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      return await probe(candidate, options.cached ?? false);
    } catch (error) {
      failures.push(`${candidate}: ${(error as Error).message}`);
    }
  }
  throw new PymcpError(
    'python_not_found',
    `no usable Python 3 interpreter (tried ${failures.join('; ')}). ` +
      'Install one (Debian: apt-get install python3) or pass --python /path/to/python3.',
  );
}

/**
 * The real path of the interpreter resolvePython will most likely probe, found without running
 * anything; null when that cannot be told cheaply (a binary inside a venv, a missing file). A
 * guess, for starting work early: what resolvePython returns is the answer.
 */
export async function likelyInterpreter(requested?: string): Promise<string | null> {
  try {
    if (requested !== undefined && (await binaryInsideVenv(requested))) return null;
    const file = await realpath(requested ?? DEFAULT_CANDIDATES[0]);
    await access(file, constants.X_OK);
    return file;
  } catch {
    return null;
  }
}

/**
 * Run `candidate` to learn its real binary, version and `sys.path`; with `cached`, an answer it
 * gave before is used while the files it depends on are unchanged (probe-cache.ts).
 */
async function probe(candidate: string, cached: boolean): Promise<PythonRuntime> {
  const file = await realpath(candidate);
  if ((await stat(file)).isDirectory()) throw new Error('is a directory, not a Python interpreter');
  await access(file, constants.X_OK);
  // One check of the cache directory serves both the read and, on a miss, the write.
  const cache = cached ? openProbeCache(file, PROBE) : null;
  const known = cache === null ? null : cachedProbe(cache);
  if (known !== null) return runtimeOf(known);
  const askedAt = Date.now();
  const result = await runCommand(file, ['-I', '-c', PROBE], {
    env: { PATH: '/usr/bin:/bin' },
    timeoutMs: 10_000,
  });
  if (result.timedOut) throw new Error('did not answer within 10 s');
  if (result.exitCode !== 0) {
    const said = result.stderr.trim() || result.error?.message || '';
    throw new Error(
      `exited with ${result.exitCode ?? result.signal ?? 'an error'}${said ? `: ${oneLine(said)}` : ''}`,
    );
  }
  const parsed = ProbeSchema.safeParse(parseJson(result.stdout));
  if (!parsed.success)
    throw new Error(`did not answer as Python 3 does (it printed ${oneLine(result.stdout)})`);
  const [executable, version, basePrefix, sysPath, dependsOn] = parsed.data;
  if (!version.startsWith('3.')) throw new Error(`Python ${version} is not Python 3`);
  const answer = { executable: await realpath(executable), version, basePrefix, sysPath };
  if (cache !== null) saveProbe(cache, answer, dependsOn, askedAt);
  return runtimeOf(answer);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A child's output for one line of an error message: quoted, escaped, at most 200 characters. */
function oneLine(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.length > 200 ? `${quoted.slice(0, 199)}…` : quoted;
}

/** The runtime an answer describes: the directories outside /usr it needs mounted. */
function runtimeOf(answer: ProbeAnswer): PythonRuntime {
  const { executable: real, version, basePrefix, sysPath } = answer;
  const extraMounts = [real, basePrefix]
    .map((p) => (p === real ? path.dirname(path.dirname(real)) : p))
    .filter((p) => !isUnder(p, '/usr'))
    .filter((p, i, all) => all.indexOf(p) === i);
  return { executable: real, version, extraMounts, sysPath };
}

/** Whether `interpreter` belongs to a venv and its real binary is inside that venv. */
async function binaryInsideVenv(interpreter: string): Promise<boolean> {
  const root = await venvRootOf(interpreter);
  if (root === null) return false;
  try {
    return isUnder(await realpath(interpreter), root);
  } catch {
    return true;
  }
}

async function pathCandidates(name: string): Promise<string[]> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => path.isAbsolute(d));
  const found: string[] = [];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      found.push(file);
    } catch {
      // not here
    }
  }
  return found;
}
