/** The lsp_* tools through the built CLI and the SDK client, on a real workspace. */
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';
import { makeVenv } from '../helpers/venv.js';
import { createRepoFixture, TEST_MODULES, type RepoFixture } from '../helpers/repo-fixture.js';

const CART = `"""Shopping cart."""


class Cart:
    """A cart of priced items."""

    def __init__(self) -> None:
        self.items: list[tuple[str, float]] = []

    def add(self, name: str, price: float) -> None:
        """Add an item named name costing price."""
        self.items.append((name, price))

    def total(self) -> float:
        return sum(p for _, p in self.items)
`;

const CHECKOUT = `from shop.cart import Cart


def checkout() -> float:
    cart = Cart()
    label = "é😀"; cart.add(label, 2.5)
    cart.add(3, "x")
    return cart.total() + missing_name
`;

async function workspace(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pymcp-lsp-e2e-'));
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'shop'), { mode: 0o755 });
  await writeFile(path.join(dir, 'shop/__init__.py'), '', { mode: 0o644 });
  await writeFile(path.join(dir, 'shop/cart.py'), CART, { mode: 0o644 });
  await writeFile(path.join(dir, 'shop/checkout.py'), CHECKOUT, { mode: 0o644 });
  return dir;
}

describe('lsp tools with pyright (read-only server)', () => {
  let server: ServerUnderTest;
  let dir: string;
  beforeAll(async () => {
    dir = await workspace();
    server = await startServer(['--workspace', dir, '--lsp', 'pyright']);
  }, 60_000);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  test('lists every lsp tool with annotations and an output schema', async () => {
    const { tools } = await server.client.listTools();
    const names = tools.map((t) => t.name).filter((n) => n.startsWith('lsp_'));
    expect(names.sort()).toEqual(
      [
        'lsp_check_project',
        'lsp_completions',
        'lsp_definition',
        'lsp_diagnostics',
        'lsp_document_symbols',
        'lsp_hover',
        'lsp_references',
        'lsp_rename',
        'lsp_signature_help',
        'lsp_workspace_symbols',
      ].sort(),
    );
    for (const tool of tools.filter((t) => t.name.startsWith('lsp_'))) {
      expect(tool.outputSchema, tool.name).toBeDefined();
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
    }
  });

  test('diagnostics report the type error and the undefined name for the current content', async () => {
    const result = await server.call('lsp_diagnostics', { file: 'shop/checkout.py' });
    expect(result.isError ?? false, textOf(result)).toBe(false);
    const text = textOf(result);
    expect(text).toMatch(/shop\/checkout\.py:7:14 error: Argument of type "Literal\[3\]"/);
    expect(text).toMatch(/"missing_name" is not defined/);
    expect(result.structuredContent).toMatchObject({ known: true, total: 3 });
  }, 60_000);

  test('hover by name path gives the signature and the docstring', async () => {
    const result = await server.call('lsp_hover', { file: 'shop/cart.py', symbol: 'Cart.add' });
    const text = textOf(result);
    expect(text).toMatch(/^shop\/cart\.py:10:9/);
    expect(text).toContain('name: str');
    expect(text).toContain('Add an item named name costing price.');
  });

  test('definition of a usage after non-ASCII text on the same line lands in the other file', async () => {
    const result = await server.call('lsp_definition', {
      file: 'shop/checkout.py',
      line: 6,
      symbol: 'add',
    });
    expect(textOf(result)).toBe(
      'shop/cart.py:10:9  def add(self, name: str, price: float) -> None:',
    );
  });

  test('references are paged', async () => {
    const first = await server.call('lsp_references', {
      file: 'shop/cart.py',
      symbol: 'Cart.add',
      limit: 1,
    });
    expect(first.structuredContent).toMatchObject({ total: 3, returned: 1 });
    expect(textOf(first)).toContain('pass offset 1 for more');
  });

  test('rename previews a diff and refuses to write on a read-only server', async () => {
    const preview = await server.call('lsp_rename', {
      file: 'shop/cart.py',
      symbol: 'Cart.add',
      new_name: 'add_item',
    });
    expect(textOf(preview)).toContain('+    def add_item(self, name: str, price: float) -> None:');
    expect(textOf(preview)).toContain('+    cart.add_item(3, "x")');
    const apply = await server.call('lsp_rename', {
      file: 'shop/cart.py',
      symbol: 'Cart.add',
      new_name: 'add_item',
      apply: true,
    });
    expect(apply.isError).toBe(true);
    expect(textOf(apply)).toMatch(/--allow-write/);
    expect(await readFile(path.join(dir, 'shop/cart.py'), 'utf8')).toBe(CART);
  });

  test.each([['../../etc/passwd'], ['/etc/passwd'], ['file:///etc/shadow'], ['~/.ssh/id_rsa']])(
    'a path outside the workspace (%s) is refused without reading it',
    async (file) => {
      const result = await server.call('lsp_hover', { file, line: 1, column: 1 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/path_denied/);
      expect(textOf(result)).not.toMatch(/root:/);
    },
  );

  test('an answer with nothing to report names the line and the column that were asked about', async () => {
    const result = await server.call('lsp_hover', { file: 'shop/cart.py', line: 2, column: 1 });
    expect(textOf(result)).toBe('No hover information at shop/cart.py:2:1.');
  });

  test('document symbols are path:line:column lines, like every other answer', async () => {
    const result = await server.call('lsp_document_symbols', { file: 'shop/cart.py' });
    expect(textOf(result).split('\n')).toEqual(
      expect.arrayContaining([
        'shop/cart.py:4:7  class Cart',
        'shop/cart.py:10:9  method Cart.add',
      ]),
    );
  });

  test('a missing symbol says what was searched', async () => {
    const result = await server.call('lsp_hover', { file: 'shop/cart.py', symbol: 'Basket.add' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no declaration named "Basket.add".*top-level names: Cart/);
  });

  test('the project check summarises every file', async () => {
    const result = await server.call('lsp_check_project', {});
    expect(result.structuredContent).toMatchObject({ files_checked: 3, counts: { error: 3 } });
  }, 60_000);
});

describe('lsp tools on a repository-shaped workspace with its own venv (pyright)', () => {
  let server: ServerUnderTest;
  let repo: RepoFixture;
  beforeAll(async () => {
    repo = await createRepoFixture();
    // The project's environment, found as .venv in the workspace, with a dependency the package
    // imports: a real repository is analysed with its own site-packages.
    await makeVenv(path.join(repo.dir, '.venv'));
    await writeFile(path.join(repo.dir, 'src/webclient/greeting.py'), GREETING, { mode: 0o644 });
    repo.pythonFiles.push('src/webclient/greeting.py');
    server = await startServer(['--workspace', repo.dir, '--lsp', 'pyright']);
  }, 60_000);

  test('the dependency in the venv resolves: no unresolved import, and hover reaches into it', async () => {
    const diagnostics = await server.call('lsp_diagnostics', { file: 'src/webclient/greeting.py' });
    expect(diagnostics.isError ?? false, textOf(diagnostics)).toBe(false);
    expect(diagnostics.structuredContent).toMatchObject({ known: true, total: 0 });
    const hover = await server.call('lsp_hover', {
      file: 'src/webclient/greeting.py',
      line: 5,
      symbol: 'greet',
    });
    expect(textOf(hover)).toContain('Return a greeting for name.');
  }, 60_000);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
    await rm(repo.dir, { recursive: true, force: true });
  });

  test('references to a test helper outside the include find every use and say what was searched', async () => {
    const result = await server.call('lsp_references', {
      file: 'tests/helpers.py',
      symbol: 'make_response',
      limit: 500,
    });
    expect(result.structuredContent).toMatchObject({
      total: repo.helperUses.length,
      searched: { name: 'make_response', matched: TEST_MODULES + 2, skipped: [], unchecked: 0 },
    });
    expect(textOf(result)).toMatch(
      /Searched all \d+ Python files in the workspace for "make_response": 38 name it, all searched\. 2 could not be read, so uses there are unknown: src\/webclient\/generated_table\.py \(\d+ bytes, over the \d+-byte limit\), tools\/legacy_latin1\.py \(not valid UTF-8 text\)\./,
    );
  }, 60_000);

  test('a rename preview changes every file that uses the class', async () => {
    const result = await server.call('lsp_rename', {
      file: 'src/webclient/adapters.py',
      symbol: 'HTTPAdapter',
      new_name: 'TransportAdapter',
    });
    expect((result.structuredContent as { files: string[] }).files).toEqual(repo.adapterFiles);
  }, 60_000);

  test('the project check lists what it cannot check, sends progress, and pages from one check', async () => {
    const progress: Array<{ progress: number; total?: number }> = [];
    const first = (await server.client.callTool(
      { name: 'lsp_check_project', arguments: { severity: 'hint', limit: 1 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )) as CallToolResult;
    expect(first.isError ?? false, textOf(first)).toBe(false);
    expect(first.structuredContent).toMatchObject({
      files_checked: repo.pythonFiles.length,
      files_failed: [
        { file: 'src/webclient/generated_table.py', reason: expect.stringMatching(/over the/) },
        { file: 'tools/legacy_latin1.py', reason: 'not valid UTF-8 text' },
      ],
      reused: false,
    });
    expect(textOf(first)).toMatch(/Could not be checked: src\/webclient\/generated_table\.py/);
    // The last one can arrive with the result, and the SDK's client drops progress it handles
    // after the result (it dispatches notifications a microtask later): not asserted.
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p.total).toBe(repo.pythonFiles.length + 2);
    expect(progress.map((p) => p.progress)).toEqual(
      [...progress.map((p) => p.progress)].sort((a, b) => a - b),
    );
    const second = await server.call('lsp_check_project', { severity: 'hint', offset: 1 });
    expect(second.structuredContent).toMatchObject({ reused: true });
    expect(textOf(second)).toContain('This page comes from the previous check');
    await appendFile(path.join(repo.dir, 'tests/conftest.py'), 'undefined_here\n');
    const third = await server.call('lsp_check_project', { severity: 'hint', offset: 1 });
    expect(third.structuredContent).toMatchObject({ reused: false });
  }, 60_000);
});

describe('lsp tools on a server that may write', () => {
  let server: ServerUnderTest;
  let dir: string;
  beforeAll(async () => {
    dir = await workspace();
    server = await startServer(['--workspace', dir, '--lsp', 'pyright', '--allow-write']);
  }, 60_000);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  test('rename with apply writes every file and later answers see the new content', async () => {
    const result = await server.call('lsp_rename', {
      file: 'shop/cart.py',
      symbol: 'Cart.add',
      new_name: 'add_item',
      apply: true,
    });
    expect(result.isError ?? false, textOf(result)).toBe(false);
    expect(result.structuredContent).toMatchObject({ applied: true });
    expect(await readFile(path.join(dir, 'shop/checkout.py'), 'utf8')).toContain(
      'cart.add_item(3, "x")',
    );
    const hover = await server.call('lsp_hover', { file: 'shop/cart.py', symbol: 'Cart.add_item' });
    expect(textOf(hover)).toContain('def add_item');
  }, 60_000);
});

describe('lsp tools with pylsp', () => {
  let server: ServerUnderTest;
  let dir: string;
  beforeAll(async () => {
    dir = await workspace();
    server = await startServer(['--workspace', dir, '--lsp', 'pylsp']);
  }, 60_000);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  test('reports the undefined name', async () => {
    const result = await server.call('lsp_diagnostics', { file: 'shop/checkout.py' });
    expect(textOf(result)).toMatch(/shop\/checkout\.py:8:27 error: undefined name 'missing_name'/);
  }, 60_000);

  test('an unsupported feature is an error, never an empty result', async () => {
    const result = await server.call('lsp_workspace_symbols', { query: 'Cart' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/lsp_unsupported.*pylsp does not support workspace symbols/);
  });
});

describe('without a language server', () => {
  test('the lsp tools say why they are unavailable', async () => {
    const server = await startServer(['--lsp', 'off', '--no-workspace']);
    const result = await server.call('lsp_hover', { code: 'x = 1', line: 1, column: 1 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/disabled/);
    expect(await server.close()).toEqual([]);
  });
});

const GREETING = `from tinypkg import greet


def hello() -> str:
    return greet("webclient")
`;
