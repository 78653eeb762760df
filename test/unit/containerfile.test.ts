/**
 * The Containerfile: parsed with dockerfile-ast, it builds the npm tarball in one stage and
 * installs it in a runtime stage that runs as a non-root user and gets its Debian packages from
 * the same script and package set as `make setup` (scripts/system-packages.sh), so the two
 * cannot drift apart.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Copy, DockerfileParser } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/system-packages.sh');

interface Step {
  keyword: string;
  args: string;
}

/** The instructions of each stage, in order; arguments as written (continuations joined). */
function stages(text: string): Step[][] {
  const file = DockerfileParser.parse(text);
  const result: Step[][] = [];
  for (const instruction of file.getInstructions()) {
    const keyword = instruction.getKeyword();
    // Flags such as COPY --from=build are not arguments to dockerfile-ast; keep them in front.
    const flags =
      instruction instanceof Copy
        ? instruction.getFlags().map((f) => `--${f.getName()}=${f.getValue() ?? ''}`)
        : [];
    const args = [...flags, ...instruction.getArguments().map((a) => a.getValue())].join(' ');
    if (keyword === 'FROM') result.push([]);
    result.at(-1)?.push({ keyword, args });
  }
  return result;
}

/** What the final stage gets wrong; one message per problem. */
function runtimeProblems(text: string): string[] {
  const all = stages(text);
  const problems: string[] = [];
  if (all.length < 2) problems.push('not multi-stage');
  const runtime = all.at(-1) ?? [];
  const users = runtime.filter((s) => s.keyword === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (user === undefined || user === '0' || user === 'root') problems.push('runs as root');
  const runs = runtime.filter((s) => s.keyword === 'RUN').map((s) => s.args);
  if (!runs.some((r) => /system-packages\.sh install runtime\b/.test(r)))
    problems.push('runtime packages not installed by scripts/system-packages.sh');
  if (runs.some((r) => /apt-get install/.test(r)))
    problems.push('apt-get install outside the script');
  if (!runs.some((r) => /npm install --global --omit=dev .*\.tgz/.test(r)))
    problems.push('the npm tarball is not installed without dev dependencies');
  if (!runtime.some((s) => s.keyword === 'COPY' && s.args.includes('--from=build')))
    problems.push('nothing copied from the build stage');
  if (/chromium/.test(runtime.map((s) => s.args).join('\n')))
    problems.push('chromium in the image');
  return problems;
}

const list = (set: string): string[] =>
  execFileSync(SCRIPT, ['list', set], { encoding: 'utf8' }).trim().split('\n');

describe('Containerfile', () => {
  const text = readFileSync(path.join(ROOT, 'Containerfile'), 'utf8');

  it('builds the package in one stage and installs it, non-root, in the next', () => {
    expect(runtimeProblems(text)).toEqual([]);
    const build = stages(text)[0] ?? [];
    expect(build.some((s) => s.keyword === 'RUN' && s.args.includes('npm pack'))).toBe(true);
  });

  it('copies the same script into the image that make setup runs', () => {
    const copied = stages(text)
      .at(-1)
      ?.find((s) => s.keyword === 'COPY' && s.args.includes('system-packages.sh'));
    expect(copied?.args.split(' ')).toContain('scripts/system-packages.sh');
    const makefile = readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
    expect(makefile).toMatch(/^setup:.*\n\t@scripts\/system-packages\.sh install test$/m);
  });

  it('is caught running as root, installing packages by hand, or skipping the script', () => {
    const bad = text
      .replace(/^USER .*$/m, 'USER root')
      .replace(
        /\/usr\/local\/lib\/isolated-pymcp\/system-packages\.sh install runtime/,
        'apt-get install -y bubblewrap',
      );
    expect(runtimeProblems(bad)).toEqual([
      'runs as root',
      'runtime packages not installed by scripts/system-packages.sh',
      'apt-get install outside the script',
    ]);
  });
});

describe('scripts/system-packages.sh', () => {
  it('gives the image what the server and its sandboxes use, and the tests a superset', () => {
    const runtime = list('runtime');
    expect(runtime).toEqual(
      expect.arrayContaining(['bubblewrap', 'python3', 'python3-numpy', 'python3-pandas']),
    );
    expect(list('test')).toEqual([...runtime, ...list('test-only')]);
    // Only for tests: never in the image.
    expect(runtime).not.toContain('chromium');
    expect(list('test-only')).toContain('chromium');
  });

  it('refuses an unknown package set', () => {
    expect(() => execFileSync(SCRIPT, ['list', 'everything'], { stdio: 'pipe' })).toThrow(
      /unknown package set/,
    );
  });
});
