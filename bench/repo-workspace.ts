/**
 * A generated workspace shaped like a real repository, for bench/lsp-repo.bench.ts: a src layout
 * whose pyproject.toml tells pyright to analyse only the package (`include = ["src"]`), tests
 * outside it, a class and a helper used across many files, one module with known problems, and
 * a `.venv` (python3 -m venv --without-pip) holding a small dependency every module imports.
 * The same generator at size 1 is the benchmark's tiny baseline workspace.
 *
 * Everything is world-readable: under root the language server runs as uid 65534.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PYTHON } from './settings.js';

export interface RepoShape {
  /** Feature modules under src/shopkit/area_K/, twenty per area. */
  modules: number;
  /** tests/test_mod_NNN.py, one per feature module from the first. */
  tests: number;
  /** Feature modules that use the Ledger class (import + one call each). */
  ledgerUser: (index: number) => boolean;
  /** Feature modules and tests that use fmt_amount (import + one call each). */
  helperModule: (index: number) => boolean;
  helperTest: (index: number) => boolean;
}

export const REPO_SHAPE: RepoShape = {
  modules: 240,
  tests: 60,
  ledgerUser: (i) => i % 8 === 0,
  helperModule: (i) => i % 8 === 1,
  helperTest: (i) => i % 12 === 0,
};

export const TINY_SHAPE: RepoShape = {
  modules: 1,
  tests: 1,
  ledgerUser: () => true,
  helperModule: () => true,
  helperTest: () => true,
};

/** An address in a file: 1-based line and column, and the name written there. */
export interface Spot {
  file: string;
  line: number;
  column: number;
  symbol: string;
}

export interface RepoWorkspace {
  dir: string;
  pythonFiles: number;
  lines: number;
  ledgerFile: string;
  helperFile: string;
  brokenFile: string;
  /** A module that uses Ledger (and whose symbols are listed). */
  ledgerModule: string;
  /** `ledger = Ledger(...)`: hover on the class name. */
  ledgerCall: Spot;
  /** Just after `ledger.`: member completions. */
  ledgerDot: Spot;
  /** `scale(...)`, the venv dependency's function: definition leads into .venv. */
  dependencyCall: Spot;
  /** Inside `fmt_amount(...)`'s parentheses: signature help. */
  helperCall: Spot;
  /** What a correct answer holds. */
  expected: {
    ledgerReferences: number;
    helperFiles: number;
    widgetClasses: number;
  };
}

const LEDGER = `"""Double-entry ledger of the shop."""
from __future__ import annotations


class Ledger:
    """Postings of one account, in cents."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.postings: list[int] = []

    def post(self, cents: int) -> None:
        """Record one posting."""
        self.postings.append(cents)

    def balance(self) -> int:
        """The sum of every posting."""
        return sum(self.postings)
`;

const MONEY = `"""Formatting of amounts."""
from __future__ import annotations


def fmt_amount(cents: int, currency: str = "EUR") -> str:
    """Cents as a decimal amount with its currency."""
    return f"{cents // 100}.{cents % 100:02d} {currency}"
`;

/** pyright reports both problems; pyflakes (pylsp) only the undefined name. */
const BROKEN = `"""Two known problems."""
from shopkit.core.ledger import Ledger


def label(ledger: Ledger) -> str:
    return ledger.account + 1


def total_with_tax(ledger: Ledger) -> float:
    return ledger.balance() * (1 + undefined_rate)
`;

const DEPENDENCY = `"""A small dependency, installed only in the workspace's virtual environment."""


def scale(size: int) -> int:
    """The scale factor for a size."""
    return 2 if size > 0 else 1
`;

const DEPENDENCY_VERSION = '0.4.1';

const areaOf = (i: number): string => `area_${String(Math.floor(i / 20)).padStart(2, '0')}`;
const num = (i: number): string => String(i).padStart(3, '0');
const modulePath = (i: number): string => `src/shopkit/${areaOf(i)}/mod_${num(i)}.py`;

function featureModule(i: number, shape: RepoShape): string {
  const n = num(i);
  const lines = [
    `"""Feature module ${n}."""`,
    'from __future__ import annotations',
    '',
    'from tinydep import scale',
  ];
  if (shape.ledgerUser(i)) lines.push('from shopkit.core.ledger import Ledger');
  if (shape.helperModule(i)) lines.push('from shopkit.util.money import fmt_amount');
  lines.push(
    '',
    '',
    `class Widget${n}:`,
    `    """A widget of feature ${n}."""`,
    '',
    '    def __init__(self, size: int) -> None:',
    '        self.size = size',
    '',
    '    def area(self) -> int:',
    '        return scale(self.size) * self.size',
    '',
    '    def label(self) -> str:',
    `        return f"feature ${n}: {self.area()}"`,
    '',
    '',
    `def build_${n}(count: int) -> list[Widget${n}]:`,
    `    return [Widget${n}(k) for k in range(count)]`,
  );
  if (shape.ledgerUser(i))
    lines.push(
      '',
      '',
      `def record_${n}(amount: int) -> int:`,
      `    ledger = Ledger("feature-${n}")`,
      '    ledger.post(amount)',
      '    return ledger.balance()',
    );
  if (shape.helperModule(i))
    lines.push('', '', `def price_${n}(cents: int) -> str:`, '    return fmt_amount(cents)');
  return `${lines.join('\n')}\n`;
}

function testModule(i: number, shape: RepoShape): string {
  const n = num(i);
  const module = modulePath(i)
    .replace(/^src\//, '')
    .replace(/\.py$/, '')
    .replaceAll('/', '.');
  const lines = [`from ${module} import Widget${n}, build_${n}`];
  if (shape.helperTest(i)) lines.push('from shopkit.util.money import fmt_amount');
  lines.push(
    '',
    '',
    `def test_build_${n}() -> None:`,
    `    assert len(build_${n}(3)) == 3 and Widget${n}(2).size == 2`,
  );
  if (shape.helperTest(i))
    lines.push(
      '',
      '',
      `def test_price_${n}() -> None:`,
      '    assert fmt_amount(250) == "2.50 EUR"',
    );
  return `${lines.join('\n')}\n`;
}

/** The 1-based line of the first line of `text` that contains `needle`, and its column. */
function spot(file: string, text: string, needle: string, symbol: string, after = 0): Spot {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`repo fixture: "${needle}" missing from ${file}`);
  const column = lines[index]!.indexOf(needle) + needle.indexOf(symbol) + 1 + after;
  return { file, line: index + 1, column, symbol };
}

export async function createRepoWorkspace(shape: RepoShape, label: string): Promise<RepoWorkspace> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), `pymcp-${label}-bench-`)));
  const files: Record<string, string> = {
    'pyproject.toml':
      '[project]\nname = "shopkit"\nversion = "0.1.0"\n\n[tool.pyright]\ninclude = ["src"]\n',
    'src/shopkit/__init__.py': '"""The shop."""\n',
    'src/shopkit/core/__init__.py': '',
    'src/shopkit/core/ledger.py': LEDGER,
    'src/shopkit/util/__init__.py': '',
    'src/shopkit/util/money.py': MONEY,
    'src/shopkit/broken.py': BROKEN,
    'tests/__init__.py': '',
  };
  for (let i = 0; i < shape.modules; i++) {
    files[`src/shopkit/${areaOf(i)}/__init__.py`] = '';
    files[modulePath(i)] = featureModule(i, shape);
  }
  for (let i = 0; i < shape.tests; i++) files[`tests/test_mod_${num(i)}.py`] = testModule(i, shape);
  for (const [name, text] of Object.entries(files)) {
    const full = path.join(dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
  }
  await createVenv(path.join(dir, '.venv'));
  await chmodTree(dir);

  const indices = (count: number, use: (i: number) => boolean): number[] =>
    Array.from({ length: count }, (_, i) => i).filter(use);
  const ledgerUsers = indices(shape.modules, shape.ledgerUser);
  const helperFiles =
    indices(shape.modules, shape.helperModule).length +
    indices(shape.tests, shape.helperTest).length;
  const ledgerModule = modulePath(ledgerUsers[0] ?? -1);
  const helperModule = modulePath(indices(shape.modules, shape.helperModule)[0] ?? -1);
  const ledgerText = files[ledgerModule];
  const helperText = files[helperModule];
  if (ledgerText === undefined || helperText === undefined)
    throw new Error('repo fixture: no module uses the ledger or the helper');
  return {
    dir,
    pythonFiles: Object.keys(files).filter((f) => f.endsWith('.py')).length,
    lines: Object.values(files).reduce((sum, text) => sum + text.split('\n').length - 1, 0),
    ledgerFile: 'src/shopkit/core/ledger.py',
    helperFile: 'src/shopkit/util/money.py',
    brokenFile: 'src/shopkit/broken.py',
    ledgerModule,
    ledgerCall: spot(ledgerModule, ledgerText, 'ledger = Ledger(', 'Ledger'),
    ledgerDot: spot(ledgerModule, ledgerText, 'ledger.post', 'post'),
    dependencyCall: spot(ledgerModule, ledgerText, 'return scale(', 'scale'),
    helperCall: spot(helperModule, helperText, 'fmt_amount(cents)', 'cents'),
    expected: {
      // Each user imports and calls it once; broken.py imports it and names it in two
      // annotations; plus the declaration.
      ledgerReferences: 2 * ledgerUsers.length + 3 + 1,
      // Each file that uses it, plus the one that declares it.
      helperFiles: helperFiles + 1,
      widgetClasses: shape.modules,
    },
  };
}

/** A real venv (no pip, no network) with the dependency and its .dist-info in site-packages. */
async function createVenv(root: string): Promise<void> {
  execFileSync(PYTHON, ['-m', 'venv', '--without-pip', root], { stdio: 'ignore' });
  const lib = path.join(root, 'lib');
  const [pythonDir] = (await readdir(lib)).filter((name) => name.startsWith('python3.'));
  if (pythonDir === undefined) throw new Error(`no lib/python3.* in ${root}`);
  const sitePackages = path.join(lib, pythonDir, 'site-packages');
  await mkdir(path.join(sitePackages, 'tinydep'), { recursive: true });
  await writeFile(path.join(sitePackages, 'tinydep', '__init__.py'), DEPENDENCY);
  const info = path.join(sitePackages, `tinydep-${DEPENDENCY_VERSION}.dist-info`);
  await mkdir(info, { recursive: true });
  await writeFile(
    path.join(info, 'METADATA'),
    `Metadata-Version: 2.1\nName: tinydep\nVersion: ${DEPENDENCY_VERSION}\nSummary: bench dependency\n`,
  );
}

/** mkdtemp makes 0700 directories; the language server (uid 65534) must read everything. */
async function chmodTree(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await chmodTree(full);
    else await chmod(full, 0o644);
  }
}
