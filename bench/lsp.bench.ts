/**
 * Language-server bridge benchmark: the lsp_* tools through the built CLI (the real SDK Client
 * over stdio), printed beside the same LSP request sent straight to a second copy of the same
 * language server, started by this process in the product's sandbox, in the same run.
 *
 *   npm run build && node dist/bench/lsp.bench.js
 *
 * 1a/1b warm requests per tool (pyright, pylsp), 2 start -> first diagnostics, 3 memory of the
 * language servers after the warm phase. Progress goes to stderr; the tables to stdout.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, release, tmpdir } from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CodeIntel } from '../src/lsp/code-intel.js';
import { createCodeIntel, type CodeIntelHandle } from '../src/lsp/lsp-factory.js';
import { createSandboxFactory } from '../src/sandbox/sandbox-factory.js';
import { parseConfig } from '../src/shared/config.js';
import { createLogger } from '../src/shared/log.js';
import { launch, shutdown, shutdownAll, type BenchServer } from './mcp-server.js';
import { launchRaw, type RawServer } from './raw-client.js';
import {
  childPids,
  commandLine,
  descendants,
  processMemory,
  waitGone,
  type ProcessMemory,
} from './processes.js';
import { loadAverage, reportEnd, runBench } from './report.js';
import { progress } from './settings.js';
import { mib, ms, renderTable, summarize, verdict, type Summary } from './stats.js';

type Kind = 'pyright' | 'pylsp';
/** BENCH_LSP=pyright (or pylsp) runs one server's tables only. */
const KINDS: readonly Kind[] = (['pyright', 'pylsp'] as const).filter(
  (kind) => (process.env.BENCH_LSP ?? kind) === kind,
);

const WARMUP = 20;
/** Measured calls per tool and path; pylsp completions take ~90 ms each, so fewer there. */
const SAMPLES: Record<Kind, number> = { pyright: 200, pylsp: 60 };
const START_RUNS = 4;
const DIAGNOSTICS_WAIT_MS = 5000;
const TARGETS = { overheadP50Ms: 0.5, pyrightP50Ms: 5 };
/** Tools held to the warm p50 target (with pyright). */
const P50_TARGET_TOOLS = new Set(['lsp_hover', 'lsp_definition']);

/** /work/shared/ANCHORS.md, measured on another machine of this kind (not run here). */
const PUBLISHED: Record<Kind, { warm: string; start: string }> = {
  pyright: {
    warm: 'hover / definition / references / completion 1.4 / 0.9 / 3.9 / 2 ms',
    start: 'spawn -> initialize 411 ms, open -> first diagnostics 1.6 s',
  },
  pylsp: {
    warm: 'hover / definition / references / completion 2 / 2 / 4.5 / 88 ms',
    start: 'spawn -> initialize 794 ms, open -> first diagnostics 0.5 s',
  },
};

// ---------------------------------------------------------------------------------------------
// The fixture workspace: three modules with classes and cross-file usages, plus one broken file.

interface Fixture {
  dir: string;
  lines: number;
  /** The file the warm requests ask about, and a `cart.add(...)` usage in it (1-based). */
  file: string;
  uri: string;
  target: { line: number; column: number };
  broken: string;
}

const TARGET_LINE = '        cart.add(product, quantity)';

function modelsModule(): string {
  const rules = Array.from({ length: 8 }, (_, i) =>
    [
      '',
      '',
      `class Rule${i}:`,
      `    """${i + 1}% off products tagged "t${i}" that cost at least floor."""`,
      '',
      '    def __init__(self, floor: float = 0.0) -> None:',
      '        self.floor = floor',
      `        self.percent = ${i + 1}.0`,
      '',
      '    def applies(self, product: Product) -> bool:',
      `        return "t${i}" in product.tags and product.price >= self.floor`,
      '',
      '    def apply(self, product: Product) -> float:',
      '        if not self.applies(product):',
      '            return product.price',
      '        return product.discounted(self.percent)',
    ].join('\n'),
  );
  return `"""Domain model of the benchmark shop."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Product:
    """Something that can be sold."""

    sku: str
    name: str
    price: float
    tags: list[str] = field(default_factory=list)

    def discounted(self, percent: float) -> float:
        """The price after a percentage discount, rounded to cents."""
        return round(self.price * (1 - percent / 100), 2)


class Cart:
    """Products and quantities chosen by one owner."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.lines: dict[str, tuple[Product, int]] = {}

    def add(self, product: Product, quantity: int = 1) -> None:
        """Add quantity of product, merging with a line already in the cart."""
        _, held = self.lines.get(product.sku, (product, 0))
        self.lines[product.sku] = (product, held + quantity)

    def remove(self, sku: str) -> None:
        """Drop a line from the cart."""
        self.lines.pop(sku, None)

    def count(self) -> int:
        return sum(quantity for _, quantity in self.lines.values())

    def total(self) -> float:
        return round(sum(p.price * q for p, q in self.lines.values()), 2)
${rules.join('\n')}
`;
}

function inventoryModule(): string {
  const catalogs = Array.from({ length: 10 }, (_, i) =>
    [
      '',
      '',
      `def build_catalog_${i}() -> list[Product]:`,
      '    products = [',
      `        Product("sku-${i}-a", "Item ${i}a", ${10 + i}.5, ["t${i % 8}"]),`,
      `        Product("sku-${i}-b", "Item ${i}b", ${20 + i}.25, ["t${(i + 1) % 8}"]),`,
      '    ]',
      '    inventory = Inventory()',
      `    cart = Cart("stock-check-${i}")`,
      '    for product in products:',
      '        inventory.restock(product, 10)',
      '        cart.add(product, 1)',
      '    inventory.reserve(cart)',
      '    return products',
    ].join('\n'),
  );
  return `"""Stock levels and catalogue builders."""
from __future__ import annotations

from models import Cart, Product


class OutOfStock(Exception):
    """A cart asked for more than is in stock."""


class Inventory:
    """Stock per SKU."""

    def __init__(self) -> None:
        self.stock: dict[str, int] = {}

    def restock(self, product: Product, quantity: int) -> None:
        self.stock[product.sku] = self.stock.get(product.sku, 0) + quantity

    def available(self, sku: str) -> int:
        return self.stock.get(sku, 0)

    def reserve(self, cart: Cart) -> None:
        for sku, (product, quantity) in cart.lines.items():
            if self.available(sku) < quantity:
                raise OutOfStock(product.name)
            self.stock[sku] -= quantity
${catalogs.join('\n')}
`;
}

function serviceModule(): string {
  const scenarios = Array.from({ length: 12 }, (_, i) =>
    [
      '',
      '',
      `def scenario_${i}(service: CheckoutService) -> float:`,
      `    cart = Cart("customer-${i}")`,
      `    for product in build_catalog_${i % 10}():`,
      `        cart.add(product, ${i + 1})`,
      '    return service.price(cart)',
    ].join('\n'),
  );
  return `"""Checkout flows over the model and the inventory."""
from __future__ import annotations

from inventory import Inventory, ${Array.from({ length: 10 }, (_, i) => `build_catalog_${i}`).join(', ')}
from models import Cart, Product, Rule0, Rule1, Rule2


class CheckoutService:
    """Moves products from the inventory into carts and prices them."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.rules = [Rule0(), Rule1(5.0), Rule2(10.0)]

    def buy(self, owner: str, product: Product, quantity: int) -> Cart:
        cart = Cart(owner)
${TARGET_LINE}
        self.inventory.reserve(cart)
        return cart

    def price(self, cart: Cart) -> float:
        total = 0.0
        for product, quantity in cart.lines.values():
            best = min(rule.apply(product) for rule in self.rules)
            total += best * quantity
        return round(total, 2)
${scenarios.join('\n')}
`;
}

/** pyright reports both problems; pyflakes (pylsp) only the undefined name. */
const BROKEN = `"""Two known problems."""
from models import Product


def label(product: Product) -> str:
    return product.name + 1


def price_with_tax(product: Product) -> float:
    return product.price * (1 + undefined_rate)
`;

async function createFixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pymcp-lsp-bench-'));
  // The language server runs as nobody: the workspace must be world-readable.
  await chmod(dir, 0o755);
  const files: Record<string, string> = {
    'models.py': modelsModule(),
    'inventory.py': inventoryModule(),
    'service.py': serviceModule(),
    'broken.py': BROKEN,
  };
  for (const [name, text] of Object.entries(files))
    await writeFile(path.join(dir, name), text, { mode: 0o644 });
  const service = files['service.py']!.split('\n');
  const line = service.indexOf(TARGET_LINE) + 1;
  if (line === 0) throw new Error('fixture: target line missing');
  return {
    dir,
    lines: Object.values(files).reduce((sum, text) => sum + text.split('\n').length, 0),
    file: 'service.py',
    uri: 'file:///workspace/service.py',
    // Just after `cart.`: hover/definition/references on `add`, member completions.
    target: { line, column: TARGET_LINE.indexOf('add') + 1 },
    broken: 'broken.py',
  };
}

// ---------------------------------------------------------------------------------------------
// The direct baseline: the product's own factory, started by this process.

const directs = new Set<CodeIntelHandle>();

async function startDirect(kind: Kind, workspace: string): Promise<CodeIntelHandle> {
  const config = parseConfig({ workspace, lsp: { server: kind } });
  const logger = createLogger('warn');
  const { spec, python, environment } = await createSandboxFactory(config, logger);
  const handle = await createCodeIntel(
    config,
    {
      bwrap: spec.bwrap,
      prlimit: spec.prlimit,
      layout: spec.layout,
      hostIds: spec.hostIds,
      python,
      environment,
      workspace,
    },
    logger,
  );
  if ('unavailable' in handle) throw new Error(`${kind}: ${handle.unavailable}`);
  directs.add(handle);
  return handle;
}

async function closeDirect(handle: CodeIntelHandle): Promise<void> {
  directs.delete(handle);
  // This process's own language servers: its direct children (bwrap) and what runs under them.
  const pids = childPids(process.pid)
    .filter((pid) => isLanguageServer(pid, handle.launch.kind))
    .flatMap((pid) => [pid, ...descendants(pid)]);
  await handle.close();
  const survivors = await waitGone(pids);
  if (survivors.length > 0)
    throw new Error(`processes outlived the client: ${survivors.join(' ')}`);
}

function isLanguageServer(pid: number, kind: string): boolean {
  const command = commandLine(pid);
  return kind === 'pylsp' ? command.includes('-m pylsp') : command.includes('/opt/lsp/pyright/');
}

// ---------------------------------------------------------------------------------------------
// 1. Warm requests.

interface ToolCase {
  tool: string;
  args: Record<string, unknown>;
  method: string;
  params: Record<string, unknown>;
  inProcess: (intel: CodeIntel) => Promise<unknown>;
}

function toolCases(f: Fixture): ToolCase[] {
  const textDocument = { uri: f.uri };
  const position = { line: f.target.line - 1, character: f.target.column - 1 };
  const at = { file: f.file, ...f.target };
  const ask = (tool: string, method: string, inProcess: ToolCase['inProcess']): ToolCase => ({
    tool,
    args: at,
    method,
    params: { textDocument, position },
    inProcess,
  });
  return [
    ask('lsp_hover', 'textDocument/hover', (intel) => intel.hover(at)),
    ask('lsp_definition', 'textDocument/definition', (intel) => intel.definition(at)),
    {
      ...ask('lsp_references', 'textDocument/references', (intel) => intel.references(at, true)),
      params: { textDocument, position, context: { includeDeclaration: true } },
    },
    ask('lsp_completions', 'textDocument/completion', (intel) => intel.completions(at)),
    {
      tool: 'lsp_document_symbols',
      args: { file: f.file },
      method: 'textDocument/documentSymbol',
      params: { textDocument },
      inProcess: (intel) => intel.documentSymbols({ file: f.file }),
    },
  ];
}

/** Items in an LSP or CodeIntel result: hierarchical symbols counted with their children. */
function countItems(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (Array.isArray(value))
    return value.reduce<number>(
      (sum, item) => sum + 1 + countItems((item as { children?: unknown }).children ?? []),
      0,
    );
  if (typeof value === 'object' && 'items' in value) return countItems(value.items);
  return 1;
}

/** Items in an lsp_* tool result; throws on isError. */
function countTool(tool: string, result: CallToolResult): number {
  const first = result.content[0];
  if (result.isError === true)
    throw new Error(`${tool} failed: ${first?.type === 'text' ? first.text : '(no text)'}`);
  const s = (result.structuredContent ?? {}) as {
    found?: boolean;
    total?: number;
    definitions?: unknown[];
  };
  return s.total ?? s.definitions?.length ?? (s.found === true ? 1 : 0);
}

interface Path {
  run: () => Promise<number>;
  times: number[];
  items: number;
}

/** Warm-up, then `samples` rounds in which every path runs once, in a rotating order. */
async function interleaved(paths: readonly Path[], samples: number): Promise<void> {
  for (let i = 0; i < WARMUP; i++) for (const p of paths) p.items = await p.run();
  for (let i = 0; i < samples; i++) {
    for (let k = 0; k < paths.length; k++) {
      const p = paths[(i + k) % paths.length]!;
      const started = performance.now();
      const items = await p.run();
      p.times.push(performance.now() - started);
      if (items === 0) throw new Error('a warm request returned nothing');
    }
  }
}

/**
 * `samples` calls of one path after another, nothing in between, so its language server does
 * not idle while the other paths run (as it does when the paths are interleaved).
 */
async function backToBack(run: () => Promise<number>, samples: number): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return summarize(times);
}

const timedPath = (run: () => Promise<number>): Path => ({ run, times: [], items: 0 });

async function warmTable(kind: Kind, f: Fixture): Promise<void> {
  progress(`${kind}: starting the MCP server and the direct baseline`);
  const server = await launch(['--workspace', f.dir, '--lsp', kind]);
  const raw = await launchRaw(['--workspace', f.dir, '--lsp', kind]);
  const direct = await startDirect(kind, f.dir);
  // Like a real client: list the tools, so the SDK validates structuredContent.
  await server.client.listTools();
  // As the tools do (withIntel): CodeIntel checks capabilities, known once initialize answered.
  await direct.client.whenReady();
  await direct.intel.documentSymbols({ file: f.file });
  countTool('lsp_document_symbols', await server.call('lsp_document_symbols', { file: f.file }));
  countTool('lsp_document_symbols', await rawCall(raw, 'lsp_document_symbols', { file: f.file }));

  const samples = SAMPLES[kind];
  const rows: string[][] = [];
  for (const c of toolCases(f)) {
    progress(`${kind}: ${c.tool} (${WARMUP} warm-up + ${samples} per path)`);
    const request = async () => countItems(await direct.client.request(c.method, c.params));
    const [lsp, mcp, thin] = [
      timedPath(request),
      timedPath(async () => countTool(c.tool, await server.call(c.tool, c.args))),
      timedPath(async () => countTool(c.tool, await rawCall(raw, c.tool, c.args))),
    ] as const;
    // One call to each language server per round: a server asked more often than the others
    // would stay warmer (its caches, its process's wake-up) and look faster for it.
    await interleaved([lsp, mcp, thin], samples);
    // The in-process bridge against the same request, both on the direct server.
    const [plain, intel] = [
      timedPath(request),
      timedPath(async () => countItems(await c.inProcess(direct.intel))),
    ] as const;
    await interleaved([plain, intel], samples);
    const alone = {
      direct: await backToBack(lsp.run, samples),
      thin: await backToBack(thin.run, samples),
    };
    const d = summarize(lsp.times);
    const m = summarize(mcp.times);
    const r = summarize(thin.times);
    const overhead = r.p50 - d.p50;
    const p50Target =
      kind === 'pyright' && P50_TARGET_TOOLS.has(c.tool)
        ? verdict(m.p50, TARGETS.pyrightP50Ms, `${TARGETS.pyrightP50Ms} ms`)
        : '';
    rows.push([
      c.tool,
      ms(d.p50),
      ms(d.p99),
      ms(summarize(intel.times).p50),
      ms(summarize(intel.times).p50 - summarize(plain.times).p50),
      ms(m.p50),
      ms(m.p99),
      ms(m.p50 - d.p50),
      ms(r.p50),
      ms(overhead),
      verdict(overhead, TARGETS.overheadP50Ms, `${TARGETS.overheadP50Ms} ms`),
      ms(alone.thin.p50 - alone.direct.p50),
      p50Target,
      `${lsp.items}/${mcp.items}`,
    ]);
  }

  // The floor under every tool: a JSON-RPC round trip, and a tool call that does no work.
  const ping = timedPath(async () => {
    await server.client.ping();
    return 1;
  });
  const trivial = timedPath(
    async () => countTool('list_sessions', await server.call('list_sessions', {})) + 1,
  );
  const rawPing = timedPath(async () => {
    await raw.ping();
    return 1;
  });
  await interleaved([ping, trivial, rawPing], samples);
  const floor = {
    ping: summarize(ping.times),
    tool: summarize(trivial.times),
    rawPing: summarize(rawPing.times),
  };
  languageServerMemory(server, kind);

  const letter = kind === 'pyright' ? 'a' : 'b';
  console.log(
    renderTable(
      `1${letter}. Warm requests, ${direct.launch.describe.replace(/ \(.*\)$/, '')}: ` +
        'each lsp_* tool through MCP beside the same LSP request sent directly',
      [
        'tool',
        'direct p50',
        'direct p99',
        'CodeIntel p50',
        'of it in-process',
        'MCP p50',
        'MCP p99',
        'SDK overhead',
        'thin MCP p50',
        'overhead p50',
        'target',
        'back-to-back',
        'MCP p50 target',
        'items',
      ],
      rows,
      [
        `${WARMUP} warm-up calls, then ${samples} per path: direct, MCP and thin MCP interleaved in rotating`,
        '  order, one call to each of the three language servers per round (so none is kept warmer);',
        '  then direct and CodeIntel interleaved the same way, both on the direct server.',
        'direct: LspClient.request to a second copy of the same server, started by this process',
        "  through the product's createCodeIntel (same bwrap sandbox, uid, settings), same open document.",
        'CodeIntel: the in-process bridge (re-read the file through the path gate, resolve the',
        '  address, request, map the result to workspace paths and source lines); no MCP.',
        '  of it in-process = CodeIntel p50 - direct p50, from that second pair.',
        'MCP: SDK Client over stdio to bin/isolated-pymcp serve; tools listed first, so the client',
        '  validates structuredContent (zod for the result, ajv for the output schema).',
        '  SDK overhead = MCP p50 - direct p50: the bridge plus that client-side checking.',
        'thin MCP: a second server driven by bench/raw-client.ts (JSON lines, JSON.parse, no',
        '  checks): what the bridge itself adds. overhead = thin MCP p50 - direct p50, held to',
        `  the ${TARGETS.overheadP50Ms} ms target.`,
        `back-to-back: overhead p50 when the direct path, then the thin MCP path, makes ${samples}`,
        '  calls one after another (not interleaved), so neither language server idles between calls.',
        `MCP floor: ping p50 ${ms(floor.ping.p50)} (p99 ${ms(floor.ping.p99)}), thin client ${ms(floor.rawPing.p50)};`,
        `  a tool that does no work (list_sessions) p50 ${ms(floor.tool.p50)} (p99 ${ms(floor.tool.p99)}).`,
        'items: direct/MCP, results of the direct request / total the tool reported (completions',
        '  are sorted and paged by the tool; references include the declaration).',
        `published, other machine (ANCHORS.md): ${PUBLISHED[kind].warm}.`,
      ],
    ),
  );
  await shutdown(server);
  await raw.close();
  await closeDirect(direct);
}

/** A tool call through the thin client, in the shape countTool reads. */
async function rawCall(
  raw: RawServer,
  tool: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  return (await raw.call(tool, args)) as CallToolResult;
}

// ---------------------------------------------------------------------------------------------
// 3. Memory (measured at the end of the warm phase, printed last).

interface MemoryRows {
  kind: Kind;
  underMcp: ProcessMemory[];
  direct: ProcessMemory[];
  mcpServer: ProcessMemory | null;
}

const memoryRows: MemoryRows[] = [];

function languageServerMemory(server: BenchServer, kind: Kind): void {
  const of = (root: number): ProcessMemory[] =>
    descendants(root)
      .filter((pid) => isLanguageServer(pid, kind))
      .map(processMemory)
      .filter((m): m is ProcessMemory => m !== null);
  const underMcp = of(server.pid);
  // Only this kind's direct server is running now: the other was closed before.
  const ownDirect = of(process.pid).filter((m) => !underMcp.some((u) => u.pid === m.pid));
  memoryRows.push({ kind, underMcp, direct: ownDirect, mcpServer: processMemory(server.pid) });
}

function memoryTable(): void {
  const sum = (list: readonly ProcessMemory[]): string =>
    mib(list.reduce((total, m) => total + m.rssKib, 0));
  const rows: string[][] = [];
  for (const r of memoryRows) {
    const server = (list: ProcessMemory[]) => list.filter((m) => m.name !== 'bwrap');
    const wrappers = (list: ProcessMemory[]) => list.filter((m) => m.name === 'bwrap');
    rows.push(
      [
        r.kind,
        'language server under the MCP server',
        String(server(r.underMcp).length),
        sum(server(r.underMcp)),
      ],
      [
        r.kind,
        '  its bwrap wrappers',
        String(wrappers(r.underMcp).length),
        sum(wrappers(r.underMcp)),
      ],
      [
        r.kind,
        'baseline: same server started directly',
        String(server(r.direct).length),
        sum(server(r.direct)),
      ],
      [
        r.kind,
        'MCP server process itself (node)',
        r.mcpServer === null ? '0' : '1',
        r.mcpServer === null ? '-' : mib(r.mcpServer.rssKib),
      ],
    );
  }
  console.log(
    renderTable(
      '3. Memory after the warm phase (VmRSS from /proc/<pid>/status)',
      ['server', 'process', 'count', 'RSS'],
      rows,
      [
        'Language-server processes: descendants whose command line names the server',
        '  (/opt/lsp/pyright/ or -m pylsp): bwrap outside, the server as pid 1 inside.',
        'The MCP server row includes its own node heap but not the idle Python sandbox pool.',
        'The baseline server answered twice the requests (the direct and the CodeIntel rows).',
      ],
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Start -> first diagnostics.

interface StartRun {
  ready: number;
  total: number;
  problems: number;
  calls: number;
}

async function mcpStart(kind: Kind, f: Fixture): Promise<StartRun> {
  const server = await launch(['--workspace', f.dir, '--lsp', kind]);
  for (let calls = 1; calls <= 5; calls++) {
    const result = await server
      .call('lsp_diagnostics', { file: f.broken })
      .catch((error: unknown) => {
        throw new Error(
          `${kind}: lsp_diagnostics failed; server stderr: ${server.stderr().slice(-2000)}`,
          {
            cause: error,
          },
        );
      });
    const s = result.structuredContent as { known?: boolean; total?: number } | undefined;
    if (s?.known === true) {
      const run = {
        ready: server.connectedAt - server.spawnedAt,
        total: performance.now() - server.spawnedAt,
        problems: s.total ?? 0,
        calls,
      };
      await shutdown(server);
      return run;
    }
  }
  await shutdown(server);
  throw new Error(`${kind}: lsp_diagnostics never known`);
}

async function directStart(kind: Kind, f: Fixture): Promise<StartRun> {
  const started = performance.now();
  const handle = await startDirect(kind, f.dir);
  await handle.client.whenReady();
  const ready = performance.now() - started;
  for (let calls = 1; calls <= 5; calls++) {
    const result = await handle.intel.diagnostics(
      { file: f.broken },
      { waitMs: DIAGNOSTICS_WAIT_MS },
    );
    if (result.known) {
      const run = {
        ready,
        total: performance.now() - started,
        problems: result.items.length,
        calls,
      };
      await closeDirect(handle);
      return run;
    }
  }
  await closeDirect(handle);
  throw new Error(`${kind}: diagnostics never known`);
}

async function startTable(f: Fixture): Promise<void> {
  const rows: string[][] = [];
  for (const kind of KINDS) {
    const mcp: StartRun[] = [];
    const direct: StartRun[] = [];
    // Alternate, so both see the same machine noise.
    for (let i = 0; i < START_RUNS; i++) {
      progress(`table 2: ${kind} run ${i + 1}/${START_RUNS}`);
      mcp.push(await mcpStart(kind, f));
      direct.push(await directStart(kind, f));
    }
    const row = (name: string, runs: StartRun[]): string[] => {
      const total: Summary = summarize(runs.map((r) => r.total));
      return [
        kind,
        name,
        String(runs.length),
        ms(summarize(runs.map((r) => r.ready)).p50),
        ms(total.p50),
        ms(total.min),
        ms(total.max),
        [...new Set(runs.map((r) => r.problems))].join(','),
        String(Math.max(...runs.map((r) => r.calls))),
      ];
    };
    rows.push(
      row('MCP: spawn CLI -> lsp_diagnostics', mcp),
      row('baseline: createCodeIntel -> diagnostics', direct),
    );
  }
  console.log(
    renderTable(
      `2. Start -> first diagnostics on a file with known problems (median of ${START_RUNS} runs)`,
      [
        'server',
        'path',
        'n',
        'ready p50',
        'first diagnostics p50',
        'min',
        'max',
        'problems',
        'calls (max)',
      ],
      rows,
      [
        'MCP: from spawning bin/isolated-pymcp serve until lsp_diagnostics answers with known=true;',
        '  ready = MCP initialize answered (the language server is still starting in the background).',
        "baseline: the product's createCodeIntel in this process (no CLI, no MCP, no Python pool);",
        '  ready = the language server answered initialize.',
        'calls: lsp_diagnostics calls until known=true (each waits up to 5 s for a report).',
        `broken.py has an undefined name (both servers) and a str + int (pyright only).`,
        `published, other machine (ANCHORS.md): pyright ${PUBLISHED.pyright.start};`,
        `  pylsp ${PUBLISHED.pylsp.start}.`,
      ],
    ),
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const began = performance.now();
  const fixture = await createFixture();
  let left: number[] = [];
  try {
    console.log(
      [
        'isolated-pymcp language-server bridge benchmark',
        `node ${process.version}, ${availableParallelism()} cpus, kernel ${release()}, uid ${process.getuid?.() ?? '?'}`,
        `fixture: ${fixture.lines} lines across models.py, inventory.py, service.py and broken.py`,
        `load average at start: ${loadAverage()}`,
        '',
      ].join('\n'),
    );
    for (const kind of KINDS) await warmTable(kind, fixture);
    await startTable(fixture);
    memoryTable();
  } finally {
    const pids = descendants(process.pid);
    // Survivors are caught below through `pids`.
    for (const handle of [...directs]) await closeDirect(handle).catch(() => undefined);
    left = [...(await shutdownAll()), ...(await waitGone(pids))];
    await rm(fixture.dir, { recursive: true, force: true });
    reportEnd(began, left);
  }
}

runBench(main);
