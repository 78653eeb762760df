/**
 * A real virtual environment for tests, made with `python3 -m venv --without-pip` (no network),
 * holding one small package of our own that the system Python does not have.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The real interpreter (python3 on PATH may be a slow pyenv shim). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export const TINYPKG_SOURCE = `"""A tiny package installed only in the test's virtual environment."""


def greet(name: str) -> str:
    """Return a greeting for name."""
    return f"hello, {name}"
`;

export const TINYPKG_VERSION = '1.2.3';

export interface TestVenv {
  root: string;
  /** The venv's site-packages directory. */
  sitePackages: string;
  /** The venv's own interpreter, bin/python. */
  python: string;
}

/** Create a venv at `root` (its parent must exist) with tinypkg 1.2.3 installed. */
export async function makeVenv(
  root: string,
  options: { systemSitePackages?: boolean } = {},
): Promise<TestVenv> {
  execFileSync(SYSTEM_PYTHON, [
    '-m',
    'venv',
    '--without-pip',
    ...(options.systemSitePackages === true ? ['--system-site-packages'] : []),
    root,
  ]);
  const lib = path.join(root, 'lib');
  const [pythonDir] = (await readdir(lib)).filter((name) => name.startsWith('python3.'));
  if (pythonDir === undefined) throw new Error(`no lib/python3.* in ${root}`);
  const sitePackages = path.join(lib, pythonDir, 'site-packages');
  await installPackage(sitePackages, 'tinypkg', TINYPKG_VERSION, {
    '__init__.py': TINYPKG_SOURCE,
  });
  return { root, sitePackages, python: path.join(root, 'bin', 'python') };
}

/** Place a package and its .dist-info (name and version in METADATA) in a site-packages. */
export async function installPackage(
  sitePackages: string,
  name: string,
  version: string,
  files: Record<string, string>,
): Promise<void> {
  const dir = path.join(sitePackages, name);
  const info = path.join(sitePackages, `${name}-${version}.dist-info`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await mkdir(info, { recursive: true, mode: 0o755 });
  for (const [file, text] of Object.entries(files))
    await writeFile(path.join(dir, file), text, { mode: 0o644 });
  await writeFile(
    path.join(info, 'METADATA'),
    `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: test package\n`,
    { mode: 0o644 },
  );
  // The sandbox runs as uid 65534 when the tests run as root.
  await chmod(dir, 0o755);
  await chmod(info, 0o755);
}
