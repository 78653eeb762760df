/** Inputs, paging and text rendering shared by the lsp_* tools. */
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PymcpError } from '../../shared/errors.js';
import type { CodeIntel, Coverage, SourceLocation, Target } from '../../lsp/code-intel.js';
import type { CodeIntelHandle } from '../../lsp/lsp-factory.js';
import { MAX_CHECKED_NAMES, MAX_NAME_FILES } from '../../lsp/answer-limits.js';
import type { CodeIntelState } from '../runtime.js';
import { typedResult } from './tool-registry.js';

/** The language server, started on first use (or shortly after start-up) and then shared. */
export type CodeIntelSource = () => Promise<CodeIntelState>;
export type { CodeIntelState };

const MAX_CODE = 512 * 1024;

export const fileInput = z
  .string()
  .min(1)
  .max(4096)
  .optional()
  .describe(
    'Python file, relative to the workspace (e.g. "pkg/cart.py"); absolute paths inside the workspace work too',
  );
export const codeInput = z
  .string()
  .min(1)
  .max(MAX_CODE)
  .optional()
  .describe('A Python snippet to analyse as an unsaved file, instead of file');

/** Where in the file: line + column, a declaration's name path, or a name on a line. */
export const positionShape = {
  file: fileInput,
  code: codeInput,
  line: z.number().int().min(1).optional().describe('1-based line number'),
  column: z.number().int().min(1).optional().describe('1-based column, counted in characters'),
  symbol: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(
      'A declaration\'s name path such as "Cart.add" (alone), or with line: the name as written on that line (for usages)',
    ),
};

export const pagingShape = {
  limit: z
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .describe('Most results to return (default 50)'),
  offset: z.number().int().min(0).default(0).describe('Results to skip, for the next page'),
};

export const locationSchema = z.object({
  file: z.string(),
  line: z.number(),
  column: z.number(),
  end_line: z.number(),
  end_column: z.number(),
  text: z.string().nullable(),
});

export function pageSchema<T extends z.ZodType>(item: T) {
  return { total: z.number(), offset: z.number(), returned: z.number(), items: z.array(item) };
}

export function page<T>(items: readonly T[], limit: number, offset: number) {
  const slice = items.slice(offset, offset + limit);
  return { total: items.length, offset, returned: slice.length, items: slice };
}

/** "showing 1-50 of 120; pass offset 50 for more" */
export function pageNote(total: number, offset: number, returned: number): string {
  if (total === 0) return '';
  if (offset === 0 && returned === total) return '';
  const more = offset + returned < total ? `; pass offset ${offset + returned} for more` : '';
  return `\n(showing ${offset + 1}-${offset + returned} of ${total}${more})`;
}

export function formatLocation(l: SourceLocation): string {
  return `${l.file}:${l.line}:${l.column}${l.text === null ? '' : `  ${l.text}`}`;
}

export function targetOf(args: {
  file?: string | undefined;
  code?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  symbol?: string | undefined;
}): Target {
  return {
    file: args.file,
    code: args.code,
    line: args.line,
    column: args.column,
    symbol: args.symbol,
  };
}

/** "shop/cart.py:6:10", "shop/cart.py:6 add", "shop/cart.py Cart.add": what was asked about. */
export function describeTarget(args: {
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  symbol?: string | undefined;
}): string {
  const where = args.file ?? 'the snippet';
  const line = args.line === undefined ? '' : `:${args.line}`;
  const column = args.line !== undefined && args.column !== undefined ? `:${args.column}` : '';
  const at = args.symbol ? ` ${args.symbol}` : '';
  return `${where}${line}${column}${at}`;
}

export const coverageSchema = z
  .object({
    name: z.string().describe('The name searched for'),
    listed: z.number().describe('Python files in the workspace that were searched'),
    found: z.number().describe('Python files in the workspace'),
    matched: z.number().describe('Files whose text names it; each was given to the server'),
    skipped: z.array(z.string()).describe('Files that name it but were over the per-answer cap'),
    refused: z
      .array(z.object({ file: z.string(), reason: z.string() }))
      .describe('Files the path gate would not read: uses there are unknown'),
    unchecked: z.number().describe('Uses in files the server did not search that were not checked'),
    local: z
      .string()
      .nullable()
      .describe('The file, when the name is local to a function there (only it can use the name)'),
    stopped: z
      .string()
      .nullable()
      .describe(
        'Why the walk of the workspace ended early (a bound on its size); null when it saw all',
      ),
  })
  .nullable()
  .describe('What was searched: every Python file in the workspace the path gate allows');

/** Whether nothing that names the symbol was left out (refused files are only unknown). */
export function searchedAll(coverage: Coverage | null): boolean {
  return (
    coverage === null ||
    (coverage.skipped.length === 0 &&
      coverage.unchecked === 0 &&
      coverage.stopped === null &&
      coverage.found === coverage.listed)
  );
}

/** One paragraph saying what a whole-workspace answer searched and what it could not. */
export function coverageNote(coverage: Coverage | null): string {
  if (coverage === null) return '';
  const c = coverage;
  if (c.local !== null) {
    return `"${c.name}" is local to a function in ${c.local}: no other file can use it, so only that file was searched.`;
  }
  const scope = c.found > c.listed ? `the first ${c.listed} of ${c.found}` : `all ${c.listed}`;
  const all = c.skipped.length === 0 && c.unchecked === 0 && c.matched > 0 ? ', all searched' : '';
  const parts = [
    `Searched ${scope} Python files in the workspace for "${c.name}": ${c.matched} name it${all}.`,
  ];
  if (c.skipped.length > 0) {
    parts.push(
      `${c.skipped.length} of them were left out (at most ${MAX_NAME_FILES} per answer): ${sample(c.skipped.map(shownPath))}.`,
    );
  }
  if (c.stopped !== null) {
    parts.push(
      `The workspace is larger than one walk covers (${c.stopped}): files past that point were not searched.`,
    );
  }
  if (c.unchecked > 0) {
    parts.push(
      `${c.unchecked} occurrences in files the server did not search were not checked (at most ${MAX_CHECKED_NAMES} per answer).`,
    );
  }
  if (c.refused.length > 0) {
    parts.push(
      `${c.refused.length} could not be read, so uses there are unknown: ${sample(c.refused.map((r) => `${shownPath(r.file)} (${oneLine(r.reason)})`))}.`,
    );
  }
  return parts.join(' ');
}

/**
 * A workspace path as the answer's text shows it: as it is, or JSON-quoted when it holds a
 * control character (a file name may hold a newline), so that one name cannot break the lines
 * of the answer or pass itself off as more of it.
 */
export function shownPath(file: string): string {
  return CONTROL.test(file) ? `"${oneLine(file.replace(/["\\]/g, '\\$&'))}"` : file;
}

/** A reason (which may quote a path) on one line: each control character as its JSON escape. */
export function oneLine(text: string): string {
  // Not JSON.stringify: it leaves DEL, U+2028 and U+2029 as they are.
  return text.replace(
    CONTROL_ALL,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');

function sample(items: readonly string[]): string {
  const shown = items.slice(0, 10).join(', ');
  return items.length > 10 ? `${shown} and ${items.length - 10} more` : shown;
}

/** Run a tool body against the language server (the registry maps what it throws to isError). */
export async function withIntel(
  source: CodeIntelSource,
  work: (intel: CodeIntel, handle: CodeIntelHandle) => Promise<CallToolResult>,
): Promise<CallToolResult> {
  const state = await source();
  if ('unavailable' in state) {
    throw new PymcpError(
      'lsp_unavailable',
      `code intelligence is unavailable: ${state.unavailable}`,
    );
  }
  return work(state.intel, state);
}

export function text(value: string, structured: Record<string, unknown>): CallToolResult {
  return typedResult(value, structured);
}

export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
