/**
 * Whole-workspace answers against the real pyright and the real pylsp on a workspace shaped like
 * a real repository (src layout, `[tool.pyright] include = ["src"]`, 36 test modules outside it
 * sharing a helper, a latin-1 module and an oversized generated file): references and renames
 * reach every file that uses the symbol, whatever the configuration says and whatever was asked
 * before; the project check lists what it cannot check and checks the rest; a freshly started
 * server never answers "nothing" for what it has not indexed yet.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CodeIntel } from '../../src/lsp/code-intel.js';
import { createCodeIntel, type CodeIntelHandle } from '../../src/lsp/lsp-factory.js';
import { checkProject } from '../../src/lsp/project-check.js';
import { findBwrap } from '../../src/sandbox/sandbox-factory.js';
import { parseConfig } from '../../src/shared/config.js';
import { probeHostLayout } from '../../src/shared/host-layout.js';
import { systemEnvironment } from '../../src/shared/python-environment.js';
import { silentLogger } from '../../src/shared/log.js';
import { resolvePython } from '../../src/shared/python-runtime.js';
import { descendants, waitGone } from '../helpers/processes.js';
import { createRepoFixture, TEST_MODULES, type RepoFixture } from '../helpers/repo-fixture.js';
import { rm } from 'node:fs/promises';
import { findPrlimit } from '../../src/shared/start-limits.js';

const SLOW = 120_000;
const WAIT = { waitMs: 15_000 };

let repo: RepoFixture;

beforeAll(async () => {
  repo = await createRepoFixture();
});

afterAll(async () => {
  await rm(repo.dir, { recursive: true, force: true });
});

async function startIntel(kind: 'pyright' | 'pylsp'): Promise<CodeIntelHandle> {
  const python = await resolvePython();
  const created = await createCodeIntel(
    // Generous per-request timeout: a loaded CI machine makes pyright slow, not wrong.
    parseConfig({ workspace: repo.dir, lsp: { server: kind, requestTimeoutMs: 100_000 } }),
    {
      bwrap: await findBwrap(),
      prlimit: await findPrlimit(),
      layout: await probeHostLayout(),
      hostIds: process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null,
      python,
      environment: systemEnvironment(python),
      workspace: repo.dir,
    },
    silentLogger,
  );
  if ('unavailable' in created) throw new Error(created.unavailable);
  return created;
}

/** Closes the server and checks that none of its processes outlive it. */
async function stop(handle: CodeIntelHandle, before: readonly number[]): Promise<void> {
  const tree = descendants(process.pid).filter((pid) => !before.includes(pid));
  await handle.close();
  expect(await waitGone(tree)).toEqual([]);
}

/** The files the gate refuses, in path order, with their reasons. */
const refusals = (): Array<{ file: string; reason: unknown }> =>
  Object.entries(repo.refused)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, reason]) => ({ file, reason: expect.stringMatching(reason) }));

const where = (items: ReadonlyArray<{ file: string; line: number }>): string[] =>
  items.map((item) => `${item.file}:${item.line}`);

const sorted = (items: readonly string[]): string[] =>
  [...items].sort((a, b) => {
    const [fa = '', la = '0'] = a.split(':');
    const [fb = '', lb = '0'] = b.split(':');
    return fa.localeCompare(fb) || Number(la) - Number(lb);
  });

describe.each(['pyright', 'pylsp'] as const)('%s on a repository-shaped workspace', (kind) => {
  let handle: CodeIntelHandle | undefined;
  let intel: CodeIntel;
  let before: number[];

  beforeAll(async () => {
    before = descendants(process.pid);
    handle = await startIntel(kind);
    intel = handle.intel;
    await handle.client.whenReady();
  }, SLOW);

  afterAll(async () => {
    if (handle !== undefined) await stop(handle, before);
  }, SLOW);

  test(
    'references to a test helper find every use in every test module, and say what was searched',
    async () => {
      const { locations, coverage } = await intel.references(
        { file: 'tests/helpers.py', symbol: 'make_response' },
        true,
      );
      expect(where(locations)).toEqual(sorted(repo.helperUses));
      // docs/conf.py declares a make_response of its own: named, searched, not a use.
      expect(coverage).toEqual({
        name: 'make_response',
        listed: repo.pythonFiles.length + Object.keys(repo.refused).length,
        found: repo.pythonFiles.length + Object.keys(repo.refused).length,
        matched: TEST_MODULES + 2,
        skipped: [],
        refused: refusals(),
        unchecked: 0,
        local: null,
        stopped: null,
      });
    },
    SLOW,
  );

  test(
    'the same question gives the same answer from a use, again, and after unrelated calls',
    async () => {
      const ask = async (): Promise<string[]> =>
        where(
          (
            await intel.references(
              { file: 'tests/test_adapter_07.py', line: 7, symbol: 'make_response' },
              true,
            )
          ).locations,
        );
      const first = await ask();
      expect(first).toEqual(sorted(repo.helperUses));
      await intel.diagnostics({ file: 'tests/test_adapter_03.py' }, WAIT);
      await intel.references({ file: 'src/webclient/sessions.py', symbol: 'Session.mount' }, true);
      await intel.hover({ file: 'tests/test_adapter_30.py', line: 6, symbol: 'HTTPAdapter' });
      expect(await ask()).toEqual(first);
      expect(await ask()).toEqual(first);
    },
    SLOW,
  );

  test(
    'include_declaration: false drops the declaration, not the use that was asked about',
    async () => {
      const { locations } = await intel.references(
        { file: 'tests/test_adapter_07.py', line: 7, symbol: 'make_response' },
        false,
      );
      expect(where(locations)).toEqual(
        sorted(repo.helperUses.filter((use) => use !== 'tests/helpers.py:4')),
      );
    },
    SLOW,
  );

  test(
    'a rename of a class edits every file that uses it, the tests outside the include too',
    async () => {
      const { changes, coverage } = await intel.rename(
        { file: 'src/webclient/adapters.py', symbol: 'HTTPAdapter' },
        'TransportAdapter',
      );
      expect(changes.map((c) => c.file)).toEqual(repo.adapterFiles);
      for (const change of changes) {
        expect(change.after, change.file).toBe(
          change.before.replaceAll('HTTPAdapter', 'TransportAdapter'),
        );
      }
      expect(coverage).toMatchObject({ matched: repo.adapterFiles.length, unchecked: 0 });
    },
    SLOW,
  );

  test(
    'a name local to a function is looked for in its file only',
    async () => {
      const target = { file: 'tests/test_adapter_07.py', line: 6, symbol: 'adapter' };
      const { locations, coverage } = await intel.references(target, true);
      expect(where(locations)).toEqual([
        'tests/test_adapter_07.py:6',
        'tests/test_adapter_07.py:8',
      ]);
      expect(coverage).toMatchObject({ local: 'tests/test_adapter_07.py', matched: 0 });
      const { changes } = await intel.rename(target, 'transport');
      expect(changes.map((c) => c.file)).toEqual(['tests/test_adapter_07.py']);
      expect(changes[0]?.after).toBe(changes[0]?.before.replace(/\badapter\b/g, 'transport'));
    },
    SLOW,
  );

  test(
    'the project check lists the files it cannot check, with the reason, and checks the rest',
    async () => {
      const report = await checkProject(intel, WAIT);
      expect(report.files_failed).toEqual(refusals());
      expect(report).toMatchObject({
        files_checked: repo.pythonFiles.length,
        files_found: repo.pythonFiles.length + Object.keys(repo.refused).length,
        files_unknown: [],
      });
      // The tests' imports of the package and of the helper resolve (pyright) or pass (pylsp).
      expect(report.items.filter((i) => i.file.startsWith('tests/test_'))).toEqual([]);
    },
    SLOW,
  );
});

describe('pyright, freshly started', () => {
  test(
    'the first workspace-symbol search finds a helper outside the include, not "no symbols"',
    async () => {
      const before = descendants(process.pid);
      const handle = await startIntel('pyright');
      try {
        const search = await handle.intel.workspaceSymbols('make_response');
        expect(search.unknown).toEqual([]);
        expect(search.items).toEqual([
          expect.objectContaining({ name: 'make_response', file: 'docs/conf.py', line: 1 }),
          expect.objectContaining({ name: 'make_response', file: 'tests/helpers.py', line: 4 }),
        ]);
      } finally {
        await stop(handle, before);
      }
    },
    SLOW,
  );

  test(
    'the first project check checks every file the gate allows',
    async () => {
      const before = descendants(process.pid);
      const handle = await startIntel('pyright');
      try {
        const report = await checkProject(handle.intel, WAIT);
        expect(report.files_failed.map((f) => f.file).sort()).toEqual(
          Object.keys(repo.refused).sort(),
        );
        expect(report.files_checked).toBe(repo.pythonFiles.length);
      } finally {
        await stop(handle, before);
      }
    },
    SLOW,
  );
});
