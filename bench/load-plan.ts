/**
 * What each client of the load benchmark calls: a deterministic mix of benign calls (a
 * run_python_code that prints a per-call nonce, an lsp_hover on a known symbol) and hostile ones
 * (an infinite loop, a memory bomb, an output flood), and how each answer is judged.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mulberry32 } from '../src/shared/prng.js';

/** How many clients, how long things may take, and the goals each configuration is read against. */
export const LOAD = {
  httpClients: 32,
  /** Clients whose benign calls (12 each) make the sequential baseline. */
  baselinePlans: 4,
  callTimeoutMs: 20_000,
  /** The load phase of one configuration is cut (calls cancelled, the rest not sent) after this. */
  phaseDeadlineMs: 80_000,
  startTimeoutMs: 30_000,
  warmupDeadlineMs: 45_000,
  sampleMs: 100,
  /** Wait after the servers stopped before looking for processes left behind. */
  settleMs: 5000,
  stopGraceMs: 8000,
};

export const GOALS = {
  successPct: 100,
  violations: 0,
  execP99Ms: 2000,
  hoverP99Ms: 1000,
  serverRssKib: 512 * 1024,
  leftovers: 0,
};

export const CALL_KINDS = ['exec', 'hover', 'loop', 'memory', 'flood'] as const;
export type CallKind = (typeof CALL_KINDS)[number];
export type Benign = 'exec' | 'hover';
export const isBenign = (kind: CallKind): kind is Benign => kind === 'exec' || kind === 'hover';

/** Calls of each kind per client: 20, of which 12 benign (60 %). */
export const MIX: Record<CallKind, number> = { exec: 7, hover: 5, loop: 3, memory: 3, flood: 2 };

export const LOOP_TIMEOUT_SECONDS = 2;
export const HOSTILE_CODE: Record<Exclude<CallKind, Benign>, string> = {
  loop: 'while True: pass',
  memory: 'x = bytearray(10**10)',
  flood: "print('x' * 10**8)",
};

export const DESCRIBE_KIND: Record<CallKind, string> = {
  exec: 'run_python_code: print("nonce-<uuid>")',
  hover: 'lsp_hover on models.py Cart.add or service.py line 7 "add"',
  loop: `${HOSTILE_CODE.loop} (timeout_seconds ${LOOP_TIMEOUT_SECONDS})`,
  memory: HOSTILE_CODE.memory,
  flood: HOSTILE_CODE.flood,
};

/** The workspace the servers get with --workspace: something for lsp_hover to find. */
export const WORKSPACE_FILES: Record<string, string> = {
  'models.py': `"""A small model for the load benchmark."""


class Cart:
    """Items and quantities chosen by one owner."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.items: dict[str, int] = {}

    def add(self, item: str, quantity: int = 1) -> None:
        """Add quantity of item to the cart."""
        self.items[item] = self.items.get(item, 0) + quantity

    def count(self) -> int:
        return sum(self.items.values())
`,
  'service.py': `"""Uses of the model."""
from models import Cart


def checkout(owner: str) -> int:
    cart = Cart(owner)
    cart.add("apple", 2)
    return cart.count()
`,
};

const HOVERS: ReadonlyArray<Record<string, unknown>> = [
  { file: 'models.py', symbol: 'Cart.add' },
  { file: 'service.py', line: 7, symbol: 'add' },
];

export interface Call {
  kind: CallKind;
  tool: string;
  args: Record<string, unknown>;
  /** The nonce a benign run_python_code must print, and nothing else. */
  nonce: string | null;
}

/** The kinds client `seed` calls, in its order: MIX shuffled by a seeded Fisher-Yates. */
export function planKinds(seed: number): CallKind[] {
  const kinds = CALL_KINDS.flatMap((kind) => Array.from({ length: MIX[kind] }, () => kind));
  // Seeded: the same mix and order on every run.
  const random = mulberry32(seed + 1);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds;
}

/** A call of `kind`; a benign run gets a fresh random nonce. `index` picks the hover target. */
export function makeCall(kind: CallKind, index: number): Call {
  switch (kind) {
    case 'exec': {
      const nonce = randomUUID();
      return {
        kind,
        tool: 'run_python_code',
        args: { python_code: `print("nonce-${nonce}")` },
        nonce,
      };
    }
    case 'hover':
      return { kind, tool: 'lsp_hover', args: { ...HOVERS[index % HOVERS.length] }, nonce: null };
    case 'loop':
      return {
        kind,
        tool: 'run_python_code',
        args: { python_code: HOSTILE_CODE.loop, timeout_seconds: LOOP_TIMEOUT_SECONDS },
        nonce: null,
      };
    case 'memory':
    case 'flood':
      return {
        kind,
        tool: 'run_python_code',
        args: { python_code: HOSTILE_CODE[kind] },
        nonce: null,
      };
  }
}

export function planCalls(seed: number): Call[] {
  return planKinds(seed).map((kind, i) => makeCall(kind, i));
}

export interface Outcome {
  kind: CallKind;
  ms: number;
  /** completed, timed_out, memory_limit, ..., busy, "error (code)", client timeout, ... */
  status: string;
  /** A benign call answered as it should (the nonce alone; hover found with contents). */
  ok: boolean;
  /** Another call's nonce in this answer, or a completed run whose stdout is not its own nonce. */
  violation: 'foreign nonce' | 'wrong output' | null;
}

export interface CallOptions {
  timeoutMs: number;
  /** Aborted when the whole load phase passes its deadline. */
  signal: AbortSignal;
}

const NONCE = /nonce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Make `call` through `client` and judge the answer; never throws. */
export async function callOnce(client: Client, call: Call, options: CallOptions): Promise<Outcome> {
  const deadlinePassed = (): boolean => options.signal.aborted;
  if (deadlinePassed())
    return { kind: call.kind, ms: 0, status: 'not sent: deadline', ok: false, violation: null };
  const started = performance.now();
  let result: CallToolResult;
  try {
    result = (await client.callTool({ name: call.tool, arguments: call.args }, undefined, {
      timeout: options.timeoutMs,
      signal: options.signal,
    })) as CallToolResult;
  } catch (error) {
    const status = deadlinePassed()
      ? 'cut at deadline'
      : error instanceof McpError && error.code === (ErrorCode.RequestTimeout as number)
        ? 'client timeout'
        : error instanceof McpError
          ? `protocol error ${error.code}`
          : `transport error: ${errorText(error)}`;
    return { kind: call.kind, ms: performance.now() - started, status, ok: false, violation: null };
  }
  const ms = performance.now() - started;
  const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
  const structured = (result.structuredContent ?? null) as {
    status?: string;
    stdout?: string;
    truncated?: { stdout?: boolean };
    found?: boolean;
    contents?: string;
  } | null;
  const seen = `${text}\n${JSON.stringify(structured)}`.match(NONCE) ?? [];
  const own = call.nonce === null ? null : `nonce-${call.nonce}`;
  let violation: Outcome['violation'] = seen.some((n) => n !== own) ? 'foreign nonce' : null;

  let status: string;
  let ok = false;
  if (call.tool === 'lsp_hover') {
    status =
      result.isError === true ? failureStatus(text) : structured?.found ? 'found' : 'not found';
    ok =
      result.isError !== true &&
      structured?.found === true &&
      /\badd\b/.test(structured.contents ?? '');
  } else if (structured?.status !== undefined) {
    status =
      structured.status + (structured.truncated?.stdout === true ? ', stdout truncated' : '');
    if (own !== null && structured.status === 'completed') {
      ok = result.isError !== true && structured.stdout === `${own}\n`;
      if (!ok) violation ??= 'wrong output';
    }
  } else {
    status = failureStatus(text);
  }
  return { kind: call.kind, ms, status, ok, violation };
}

/** "Error (busy): ..." (the server's tool-failure text) -> "busy". */
function failureStatus(text: string): string {
  const code = /^Error \(([a-z_]+)\)/.exec(text)?.[1];
  return code === undefined ? 'error (no code)' : code === 'busy' ? 'busy' : `error (${code})`;
}

/** The first line of an error's message (and of its cause's), at most 60 characters each. */
function errorText(error: unknown): string {
  const line = (e: unknown): string =>
    (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 60);
  const cause =
    error instanceof Error && error.cause !== undefined ? ` (${line(error.cause)})` : '';
  return line(error) + cause;
}
