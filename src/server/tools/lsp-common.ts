/** Inputs, paging and text rendering shared by the lsp_* tools. */
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PymcpError } from '../../shared/errors.js';
import type { CodeIntel, SourceLocation, Target } from '../../lsp/code-intel.js';
import type { CodeIntelHandle } from '../../lsp/lsp-factory.js';
import type { CodeIntelState } from '../runtime.js';

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

export function describeTarget(args: {
  file?: string | undefined;
  line?: number | undefined;
  symbol?: string | undefined;
}): string {
  const where = args.file ?? 'the snippet';
  const at = args.symbol ? ` ${args.symbol}` : '';
  return `${where}${args.line ? `:${args.line}` : ''}${at}`;
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
  return { content: [{ type: 'text', text: value }], structuredContent: structured };
}

export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
