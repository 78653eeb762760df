/**
 * The language-server bridge against the real pyright and the real pylsp, each in bubblewrap as
 * an unprivileged user, on a small package on disk: cross-file navigation, rename previews,
 * completion, hover, diagnostics that follow the file, symbol addressing, character columns on
 * non-ASCII lines, unsupported features, and path attacks. One server per kind, shared by its
 * tests; nothing may outlive close().
 */
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CodeIntel } from '../../src/lsp/code-intel.js';
import { createCodeIntel, type CodeIntelHandle } from '../../src/lsp/lsp-factory.js';
import { checkProject } from '../../src/lsp/project-check.js';
import { findBwrap } from '../../src/sandbox/sandbox-factory.js';
import { parseConfig } from '../../src/shared/config.js';
import { probeHostLayout } from '../../src/shared/host-layout.js';
import { silentLogger } from '../../src/shared/log.js';
import { systemEnvironment } from '../../src/shared/python-environment.js';
import { resolvePython } from '../../src/shared/python-runtime.js';
import { descendants, waitGone } from '../helpers/processes.js';
import { findPrlimit } from '../../src/shared/start-limits.js';

const SLOW = 60_000;
const WAIT = { waitMs: 15_000 };

const CART = `"""A shopping cart."""


class Cart:
    """A cart that holds priced items."""

    def __init__(self) -> None:
        self.items: list[tuple[str, float]] = []

    def add(self, name: str, price: float) -> None:
        """Add an item called name costing price."""
        self.items.append((name, price))

    def total(self) -> float:
        """Sum of all prices in the cart."""
        return sum(price for _, price in self.items)
`;

/** Line 7 passes an int as `name`; line 8 has "é😀" before the call; line 9 names nothing. */
const CHECKOUT = `from shop.cart import Cart


def checkout() -> float:
    cart = Cart()
    cart.add("apple", 1.5)
    cart.add(42, 2.0)
    label = "é😀"; cart.add(label, 3.0)
    print(undefined_name)
    return cart.total()
`;

/** Two classes with a method of the same name: `add` alone is ambiguous here. */
const STORES = `class Basket:
    def add(self, item: str) -> None:
        self.last = item


class Shelf:
    def add(self, item: str) -> None:
        self.last = item
`;

/**
 * One name declared more than once in a scope: overloads before their implementation (line 11),
 * a property's getter and setter (line 20). Each is one symbol to pyright; pylsp lists each.
 */
const REDECLARED = `from typing import overload


class Parser:
    @overload
    def parse(self, data: str) -> str: ...

    @overload
    def parse(self, data: bytes) -> bytes: ...

    def parse(self, data: str | bytes) -> str | bytes:
        return data

    @property
    def size(self) -> int:
        return 1

    @size.setter
    def size(self, value: int) -> None:
        pass
`;

/** A Windows-style file. */
const LEGACY = 'def ping() -> int:\r\n    return 1\r\n\r\n\r\nvalue = ping()\r\n';

const CLEAN = 'print("ok")\n';

/** A docstring with "<" and an indented block; line 14 calls fib inside another call. */
const CALLS = `def pick(first: int, second: int) -> int:
    return first


def fib(n: int) -> int:
    """Return F(n) when a < b.

    Example:
        fib(3)
    """
    return n


x = pick(fib(1), 2)
`;

const FILES: Record<string, string> = {
  'shop/__init__.py': '',
  'shop/cart.py': CART,
  'shop/checkout.py': CHECKOUT,
  'shop/stores.py': STORES,
  'shop/legacy.py': LEGACY,
  'shop/scratch.py': CLEAN,
  'shop/calls.py': CALLS,
  'shop/redeclared.py': REDECLARED,
};

interface ServerCase {
  kind: 'pyright' | 'pylsp';
  /** What the server reports for shop/checkout.py, by position. */
  checkoutDiagnostics: Array<{ line: number; column: number; message: RegExp }>;
  undefinedName: (name: string) => RegExp;
  workspaceSymbols: boolean;
}

const SERVERS: ServerCase[] = [
  {
    kind: 'pyright',
    checkoutDiagnostics: [
      { line: 7, column: 14, message: /"Literal\[42\]".*"name".*"str"/s },
      { line: 9, column: 11, message: /"undefined_name" is not defined/ },
    ],
    undefinedName: (name) => new RegExp(`"${name}" is not defined`),
    workspaceSymbols: true,
  },
  {
    kind: 'pylsp',
    // pyflakes finds undefined names, not type errors.
    checkoutDiagnostics: [{ line: 9, column: 11, message: /undefined name 'undefined_name'/ }],
    undefinedName: (name) => new RegExp(`undefined name '${name}'`),
    workspaceSymbols: false,
  },
];

let dir: string;

beforeAll(async () => {
  // The language server runs as uid 65534: the tree must be readable by everyone.
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-lsp-')));
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'shop'), { mode: 0o755 });
  await chmod(path.join(dir, 'shop'), 0o755);
  for (const [name, text] of Object.entries(FILES)) await put(name, text);
  await put('shop/notes.txt', 'def not_python(): pass\n');
  await symlink('/etc/passwd', path.join(dir, 'leak.py'));
  await symlink('/etc', path.join(dir, 'escape'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, text: string): Promise<void> {
  await writeFile(path.join(dir, name), text);
  await chmod(path.join(dir, name), 0o644);
}

describe.each(SERVERS)('$kind', (server) => {
  let handle: CodeIntelHandle | undefined;
  let intel: CodeIntel;
  let before: number[];

  beforeAll(async () => {
    before = descendants(process.pid);
    const python = await resolvePython();
    const env = {
      bwrap: await findBwrap(),
      prlimit: await findPrlimit(),
      layout: await probeHostLayout(),
      hostIds: process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null,
      python,
      environment: systemEnvironment(python),
      workspace: dir,
    };
    const created = await createCodeIntel(
      // A loaded CI machine can make pyright's first answers slow (its first look at builtins):
      // the per-request timeout is not what these tests check, so it is generous here.
      parseConfig({ workspace: dir, lsp: { server: server.kind, requestTimeoutMs: 50_000 } }),
      env,
      silentLogger,
    );
    if ('unavailable' in created) throw new Error(created.unavailable);
    handle = created;
    intel = created.intel;
    await created.client.whenReady();
  }, SLOW);

  afterAll(async () => {
    if (handle === undefined) return; // beforeAll failed and said why
    const tree = descendants(process.pid).filter((pid) => !before.includes(pid));
    await handle.close();
    expect(tree.length).toBeGreaterThan(0); // bwrap, the sandbox's init, the server
    expect(await waitGone(tree)).toEqual([]);
    expect(handle.client.currentState).toBe('closed');
  }, SLOW);

  describe('navigation', () => {
    test(
      'definition of a usage jumps to the declaration in another file',
      async () => {
        expect(
          await intel.definition({ file: 'shop/checkout.py', line: 6, symbol: 'add' }),
        ).toEqual([
          {
            file: 'shop/cart.py',
            line: 10,
            column: 9,
            end_line: 10,
            end_column: 12,
            text: 'def add(self, name: str, price: float) -> None:',
          },
        ]);
      },
      SLOW,
    );

    test(
      'references find the declaration and every call across files',
      async () => {
        const { locations: all } = await intel.references(
          { file: 'shop/cart.py', symbol: 'Cart.add' },
          true,
        );
        expect(all).toHaveLength(4);
        expect(all.map((r) => `${r.file}:${r.line}`).sort()).toEqual([
          'shop/cart.py:10',
          'shop/checkout.py:6',
          'shop/checkout.py:7',
          'shop/checkout.py:8',
        ]);
        const { locations: uses } = await intel.references(
          { file: 'shop/cart.py', symbol: 'Cart.add' },
          false,
        );
        expect(uses.map((r) => `${r.file}:${r.line}`)).toEqual([
          'shop/checkout.py:6',
          'shop/checkout.py:7',
          'shop/checkout.py:8',
        ]);
      },
      SLOW,
    );

    test(
      'rename previews the edit in both files and writes nothing',
      async () => {
        const { changes } = await intel.rename(
          { file: 'shop/checkout.py', line: 6, symbol: 'add' },
          'put',
        );
        const byFile = Object.fromEntries(changes.map((c) => [c.file, c]));
        expect(Object.keys(byFile).sort()).toEqual(['shop/cart.py', 'shop/checkout.py']);
        expect(byFile['shop/cart.py']).toEqual({
          file: 'shop/cart.py',
          relative: 'shop/cart.py',
          before: CART,
          after: CART.replace('def add(', 'def put('),
        });
        expect(byFile['shop/checkout.py']).toEqual({
          file: 'shop/checkout.py',
          relative: 'shop/checkout.py',
          before: CHECKOUT,
          after: CHECKOUT.replaceAll('cart.add(', 'cart.put('),
        });
        expect(await readFile(path.join(dir, 'shop/cart.py'), 'utf8')).toBe(CART);
        expect(await readFile(path.join(dir, 'shop/checkout.py'), 'utf8')).toBe(CHECKOUT);
      },
      SLOW,
    );

    test(
      'a rename in a CRLF file keeps its line endings',
      async () => {
        const {
          changes: [change, ...others],
        } = await intel.rename({ file: 'shop/legacy.py', symbol: 'ping' }, 'pong');
        expect(others).toEqual([]);
        // `before` is the file as it is on disk; `after` is what lsp_rename apply would write.
        expect(change?.before).toBe(LEGACY);
        expect(change?.after).toBe(LEGACY.replaceAll('ping', 'pong'));
      },
      SLOW,
    );

    test(
      'completion after `cart.` offers the methods of Cart',
      async () => {
        const items = await intel.completions({
          code: 'from shop.cart import Cart\n\ncart = Cart()\ncart.',
          line: 4,
          column: 6,
        });
        // pylsp labels carry the parameters: "add(name, price)".
        const names = items.map((item) => item.label.replace(/\(.*$/, ''));
        expect(names).toEqual(expect.arrayContaining(['add', 'total', 'items']));
        expect(names).not.toContain('checkout');
      },
      SLOW,
    );

    test(
      'hover shows the signature and the docstring',
      async () => {
        const hover = await intel.hover({ file: 'shop/checkout.py', line: 6, symbol: 'add' });
        expect(hover?.location).toMatchObject({ file: 'shop/checkout.py', line: 6, column: 10 });
        expect(hover?.contents).toMatch(
          /add\(\s*(self,\s*)?name: str,\s*price: float\s*\) -> None/,
        );
        expect(hover?.contents).toContain('Add an item called name costing price.');
      },
      SLOW,
    );

    test(
      server.workspaceSymbols
        ? 'workspace symbols find a class in the workspace'
        : 'workspace symbols are reported as unsupported, not as an empty list',
      async () => {
        if (server.workspaceSymbols) {
          expect((await intel.workspaceSymbols('Cart')).items).toContainEqual(
            expect.objectContaining({ name: 'Cart', kind: 'class', file: 'shop/cart.py', line: 4 }),
          );
        } else {
          await expect(intel.workspaceSymbols('Cart')).rejects.toMatchObject({
            name: 'PymcpError',
            code: 'lsp_unsupported',
            message: expect.stringContaining('workspace symbols'),
          });
        }
      },
      SLOW,
    );
  });

  describe('small answers', () => {
    test(
      'signature help with line and symbol answers for that call, not the call around it',
      async () => {
        const help = await intel.signatureHelp({ file: 'shop/calls.py', line: 14, symbol: 'fib' });
        expect(help?.signatures).toEqual([
          {
            label: expect.stringMatching(/^(fib)?\(n: int\) -> int$/),
            documentation: expect.stringContaining('Return F(n) when a < b.'),
          },
        ]);
        // The call around it is what line + column inside pick's parentheses asks for. (Not a
        // builtin such as max: pyright spends ~3 s of CPU on signature help for its overloads,
        // every time, which a loaded machine stretches past any timeout.)
        const around = await intel.signatureHelp({ file: 'shop/calls.py', line: 14, column: 10 });
        expect(around?.signatures[0]?.label).toMatch(/first: int, second: int/);
        await expect(
          intel.signatureHelp({ file: 'shop/calls.py', line: 14, symbol: 'x' }),
        ).rejects.toMatchObject({
          code: 'symbol_not_found',
          message: /"x" is not called on line 14/,
        });
      },
      SLOW,
    );

    test(
      'hover text has no HTML entities',
      async () => {
        const hover = await intel.hover({ file: 'shop/calls.py', symbol: 'fib' });
        expect(hover?.contents).toContain('Return F(n) when a < b.');
        expect(hover?.contents).not.toMatch(/&(lt|gt|amp|nbsp);/);
      },
      SLOW,
    );

    test(
      'a file that is not Python is refused, not analysed as Python',
      async () => {
        for (const attempt of [
          () => intel.documentSymbols({ file: 'shop/notes.txt' }),
          () => intel.hover({ file: 'shop/notes.txt', line: 1, column: 5 }),
        ]) {
          await expect(attempt()).rejects.toMatchObject({
            code: 'input_invalid',
            message: expect.stringMatching(/shop\/notes\.txt is not a Python file/),
          });
        }
      },
      SLOW,
    );
  });

  describe('addressing', () => {
    test.each(['Cart.add', 'Cart/add', 'Cart::add'])(
      'the name path %s alone finds the method',
      async (symbol) => {
        expect(await intel.definition({ file: 'shop/cart.py', symbol })).toEqual([
          expect.objectContaining({ file: 'shop/cart.py', line: 10, column: 9 }),
        ]);
      },
      SLOW,
    );

    test(
      'an ambiguous name lists the candidates',
      async () => {
        await expect(
          intel.definition({ file: 'shop/stores.py', symbol: 'add' }),
        ).rejects.toMatchObject({
          code: 'symbol_ambiguous',
          message: expect.stringMatching(/Basket\.add \(line 2\).*Shelf\.add \(line 7\)/),
        });
        // A longer path settles it.
        expect(await intel.definition({ file: 'shop/stores.py', symbol: 'Shelf.add' })).toEqual([
          expect.objectContaining({ file: 'shop/stores.py', line: 7, column: 9 }),
        ]);
      },
      SLOW,
    );

    test(
      'a name declared again in the same scope (overloads, a property setter) is its last declaration',
      async () => {
        const file = 'shop/redeclared.py';
        const parse = await intel.hover({ file, symbol: 'Parser.parse' });
        expect(parse?.location).toMatchObject({ file, line: 11, column: 9 });
        const size = await intel.hover({ file, symbol: 'size' });
        expect(size?.location).toMatchObject({ file, line: 19, column: 9 });
      },
      SLOW,
    );

    test(
      'a name that is not declared says what was searched',
      async () => {
        await expect(
          intel.definition({ file: 'shop/cart.py', symbol: 'Cart.remove' }),
        ).rejects.toMatchObject({
          code: 'symbol_not_found',
          message: expect.stringMatching(/"Cart\.remove".*top-level names: Cart/),
        });
        await expect(
          intel.definition({ file: 'shop/checkout.py', line: 5, symbol: 'total' }),
        ).rejects.toMatchObject({
          code: 'symbol_not_found',
          message: expect.stringMatching(/"total" does not occur on line 5: cart = Cart\(\)/),
        });
      },
      SLOW,
    );

    test(
      'columns count characters, not UTF-16 units, after "é😀" on the line',
      async () => {
        // Line 8: `    label = "é😀"; cart.add(label, 3.0)`; `add` is at character 24, `label`
        // (the argument) at 28. In UTF-16 units they would be 25 and 29.
        expect(await intel.definition({ file: 'shop/checkout.py', line: 8, column: 28 })).toEqual([
          expect.objectContaining({ file: 'shop/checkout.py', line: 8, column: 5 }),
        ]);
        expect(
          await intel.definition({ file: 'shop/checkout.py', line: 8, symbol: 'add' }),
        ).toEqual([expect.objectContaining({ file: 'shop/cart.py', line: 10 })]);
        const { locations: references } = await intel.references(
          { file: 'shop/cart.py', symbol: 'Cart.add' },
          false,
        );
        expect(references.find((r) => r.line === 8)).toEqual({
          file: 'shop/checkout.py',
          line: 8,
          column: 24,
          end_line: 8,
          end_column: 27,
          text: 'label = "é😀"; cart.add(label, 3.0)',
        });
      },
      SLOW,
    );
  });

  describe('diagnostics', () => {
    test(
      'report the problems in a workspace file',
      async () => {
        const result = await intel.diagnostics({ file: 'shop/checkout.py' }, WAIT);
        expect(result).toMatchObject({ file: 'shop/checkout.py', known: true });
        const errors = result.items.filter((item) => item.severity === 'error');
        expect(errors).toHaveLength(server.checkoutDiagnostics.length);
        for (const expected of server.checkoutDiagnostics) {
          expect(errors).toContainEqual(
            expect.objectContaining({
              file: 'shop/checkout.py',
              line: expected.line,
              column: expected.column,
              message: expect.stringMatching(expected.message),
            }),
          );
        }
      },
      SLOW,
    );

    test(
      'report the problems in a code snippet',
      async () => {
        const result = await intel.diagnostics({ code: 'total = 1\nprint(missing)\n' }, WAIT);
        expect(result).toMatchObject({ file: '<snippet>', known: true });
        expect(result.items).toEqual([
          expect.objectContaining({
            file: '<snippet>',
            line: 2,
            column: 7,
            severity: 'error',
            message: expect.stringMatching(server.undefinedName('missing')),
          }),
        ]);
      },
      SLOW,
    );

    test(
      'columns count characters after non-ASCII text on the line',
      async () => {
        const line = 'label = "é😀"; print(missing)';
        const result = await intel.diagnostics({ code: `${line}\n` }, WAIT);
        expect(result.items).toEqual([
          expect.objectContaining({
            line: 1,
            column: Array.from(line).indexOf('m') + 1, // 21; 22 in UTF-16 units, 24 in bytes
            message: expect.stringMatching(server.undefinedName('missing')),
          }),
        ]);
      },
      SLOW,
    );

    test(
      'checkProject counts the errors of every Python file, skipping symlinks',
      async () => {
        const report = await checkProject(intel, WAIT);
        expect(report).toMatchObject({
          files_checked: Object.keys(FILES).length,
          files_found: Object.keys(FILES).length,
          files_unknown: [],
          files_failed: [],
          counts: { error: server.checkoutDiagnostics.length },
        });
        expect(
          report.items.filter((i) => i.severity === 'error').map((i) => `${i.file}:${i.line}`),
        ).toEqual(server.checkoutDiagnostics.map((d) => `shop/checkout.py:${d.line}`));
      },
      SLOW,
    );

    test(
      'follow the file on disk and are never stale',
      async () => {
        const check = async () => {
          const result = await intel.diagnostics({ file: 'shop/scratch.py' }, WAIT);
          expect(result.known).toBe(true);
          return result.items.map((item) => item.message).join('\n');
        };
        try {
          expect(await check()).toBe('');
          await put('shop/scratch.py', 'print(first_missing)\n');
          expect(await check()).toMatch(server.undefinedName('first_missing'));
          await put('shop/scratch.py', 'x = 1\nprint(second_missing)\n');
          const second = await check();
          expect(second).toMatch(server.undefinedName('second_missing'));
          expect(second).not.toContain('first_missing');
          await put('shop/scratch.py', CLEAN);
          expect(await check()).toBe('');
        } finally {
          await put('shop/scratch.py', CLEAN);
        }
      },
      SLOW,
    );
  });

  describe('path attacks are refused', () => {
    test.each([
      { name: 'a relative path climbing out', file: '../../etc/passwd' },
      { name: 'an absolute path outside', file: '/etc/passwd' },
      { name: 'a file: URI outside', file: 'file:///etc/passwd' },
      { name: 'a symlink in the workspace pointing outside', file: 'leak.py' },
      { name: 'a path through a symlinked directory', file: 'escape/passwd' },
    ])(
      '$name',
      async ({ file }) => {
        for (const attempt of [
          () => intel.diagnostics({ file }, WAIT),
          () => intel.hover({ file, line: 1, column: 1 }),
          () => intel.definition({ file, line: 1, column: 1 }),
        ]) {
          const error: unknown = await attempt().then(
            () => null,
            (reason: unknown) => reason,
          );
          expect(error).toMatchObject({ name: 'PymcpError', code: 'path_denied' });
          expect((error as Error).message).toMatch(/outside the workspace/);
          expect((error as Error).message).not.toMatch(/root:/);
        }
      },
      SLOW,
    );
  });
});
