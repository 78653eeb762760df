/**
 * What to analyse: a bundled algorithm by name (`fibonacci` -> algorithms/fibonacci.py) or any
 * Python file, with the workspace the server mounts and how Python should import it.
 */
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { PymcpError } from '../shared/errors.js';
import { packageRoot } from '../shared/package-root.js';
import { pathExists } from '../shared/path-exists.js';
import { resolveWorkspaceFile } from '../shared/path-gate.js';

export interface AnalysisTarget {
  name: string;
  /** Host directory mounted as the workspace. */
  workspace: string;
  /** The file, relative to the workspace, with '/' separators. */
  file: string;
  /** Dotted module name when the file sits in packages reachable from the workspace root. */
  dotted: string | null;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Only checked for existence, never read: any size makes a directory a package. */
const ANY_SIZE = Number.MAX_SAFE_INTEGER;

export async function resolveTarget(spec: string, cwd: string): Promise<AnalysisTarget> {
  if (NAME.test(spec)) {
    const root = packageRoot();
    const file = path.join(root, 'algorithms', `${spec}.py`);
    if (!(await pathExists(file))) {
      const known = (await listBundled()).map((a) => a.name).join(', ');
      throw new PymcpError('input_invalid', `no bundled algorithm "${spec}"; available: ${known}`);
    }
    return {
      name: spec,
      workspace: root.replace(/\/$/, ''),
      file: `algorithms/${spec}.py`,
      dotted: `algorithms.${spec}`,
    };
  }
  let absolute: string;
  try {
    absolute = await realpath(path.resolve(cwd, spec));
  } catch {
    throw new PymcpError('input_invalid', `no such file: ${spec}`);
  }
  if (!(await stat(absolute)).isFile() || !absolute.endsWith('.py')) {
    throw new PymcpError('input_invalid', `${spec} is not a Python (.py) file`);
  }
  const realCwd = await realpath(cwd);
  const inside = !path.relative(realCwd, absolute).startsWith('..');
  const workspace = inside ? realCwd : path.dirname(absolute);
  const file = path.relative(workspace, absolute).split(path.sep).join('/');
  return {
    name: path.basename(absolute, '.py'),
    workspace,
    file,
    dotted: await dottedName(file, (relative) => pathExists(path.join(workspace, relative))),
  };
}

/**
 * Several targets analysed together (`analyze A.py B.py`): one workspace must hold them all, so
 * it is the deepest directory containing every file (the package root for bundled names), and
 * each file's label (its stem) must be unique, since implementations are named `label.fn`.
 */
export async function resolveTargets(
  specs: readonly string[],
  cwd: string,
): Promise<AnalysisTarget[]> {
  const single = await Promise.all(specs.map((spec) => resolveTarget(spec, cwd)));
  if (single.length <= 1) return single;
  const absolute = single.map((t) => path.join(t.workspace, t.file));
  const realCwd = await realpath(cwd);
  const inCwd = absolute.every((file) => !path.relative(realCwd, file).startsWith('..'));
  const workspace = inCwd ? realCwd : commonDirectory(absolute.map((file) => path.dirname(file)));
  if (workspace === path.parse(workspace).root) {
    throw new PymcpError(
      'input_invalid',
      'the files to compare share no directory but the root; put them under one directory',
    );
  }
  const labels = new Set<string>();
  const out: AnalysisTarget[] = [];
  for (const [index, target] of single.entries()) {
    if (labels.has(target.name)) {
      throw new PymcpError(
        'input_invalid',
        `two files are named ${target.name}.py; rename one to compare them (implementations are named ${target.name}.FUNCTION)`,
      );
    }
    labels.add(target.name);
    const file = path
      .relative(workspace, absolute[index] ?? '')
      .split(path.sep)
      .join('/');
    out.push({
      name: target.name,
      workspace,
      file,
      dotted: await dottedName(file, (relative) => pathExists(path.join(workspace, relative))),
    });
  }
  return out;
}

function commonDirectory(dirs: readonly string[]): string {
  let common = dirs[0] ?? '/';
  for (const dir of dirs) {
    while (path.relative(common, dir).startsWith('..')) common = path.dirname(common);
  }
  return common;
}

/**
 * `pkg/sub/mod.py` -> `pkg.sub.mod` when every directory on the way is a package, as `exists`
 * (given a '/'-separated path relative to the workspace) says.
 */
async function dottedName(
  file: string,
  exists: (relative: string) => Promise<boolean>,
): Promise<string | null> {
  const parts = file.replace(/\.py$/, '').split('/');
  if (!parts.every((p) => NAME.test(p))) return null;
  for (let i = 1; i < parts.length; i += 1) {
    if (!(await exists([...parts.slice(0, i), '__init__.py'].join('/')))) return null;
  }
  return parts.join('.');
}

export interface BundledAlgorithm {
  name: string;
  summary: string;
}

export async function listBundled(): Promise<BundledAlgorithm[]> {
  const dir = path.join(packageRoot(), 'algorithms');
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const out: BundledAlgorithm[] = [];
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.py') || entry.startsWith('_')) continue;
    const text = await readFile(path.join(dir, entry), 'utf8');
    const doc = /^\s*(?:"""|''')\s*([^\n]*)/.exec(text);
    out.push({ name: entry.slice(0, -3), summary: doc?.[1]?.trim() ?? '' });
  }
  return out;
}

/**
 * A target inside a server's workspace, for the analyze_algorithm tool: a bare name means
 * algorithms/<name>.py there; anything else is a workspace-relative path. The caller passes the
 * path through the path gate first.
 */
export async function workspaceTarget(
  workspace: string,
  relative: string,
): Promise<AnalysisTarget> {
  // Security: the package check goes through the path gate too, so a directory on the way that
  // is (or becomes) a symlink to outside says nothing about what exists out there.
  const exists = (candidate: string): Promise<boolean> =>
    resolveWorkspaceFile(workspace, candidate, { maxBytes: ANY_SIZE }).then(
      () => true,
      () => false,
    );
  return {
    name: path.basename(relative, '.py'),
    workspace,
    file: relative,
    dotted: await dottedName(relative, exists),
  };
}
