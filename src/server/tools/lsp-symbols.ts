/** lsp_document_symbols and lsp_workspace_symbols. */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import type { SymbolItem } from '../../lsp/code-intel.js';
import {
  READ_ONLY,
  codeInput,
  fileInput,
  page,
  pageNote,
  pageSchema,
  pagingShape,
  text,
  withIntel,
  type CodeIntelSource,
} from './lsp-common.js';

const symbolSchema = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.string(),
  file: z.string(),
  line: z.number(),
  column: z.number(),
});

const render = (s: SymbolItem, withFile: boolean): string =>
  `${withFile ? `${s.file}:` : ''}${s.line}:${s.column}  ${s.kind} ${s.path}`;

export function registerSymbolTools(tools: ToolRegistry, source: CodeIntelSource): void {
  tools.register(
    'lsp_document_symbols',
    {
      title: 'Symbols in a file',
      description:
        'The classes, functions, methods and variables declared in a file (or code snippet), with their name paths (e.g. "Cart.add") and lines. Paged.',
      inputSchema: { file: fileInput, code: codeInput, ...pagingShape },
      outputSchema: pageSchema(symbolSchema),
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const all = await intel.documentSymbols({ file: args.file, code: args.code }, extra.signal);
        const result = page(all, args.limit, args.offset);
        const body =
          all.length === 0
            ? 'No symbols.'
            : `${result.items.map((s) => render(s, false)).join('\n')}${pageNote(result.total, result.offset, result.returned)}`;
        return text(body, result);
      }),
  );

  tools.register(
    'lsp_workspace_symbols',
    {
      title: 'Find symbols in the workspace',
      description: 'Search declarations across the workspace by (partial) name. Paged.',
      inputSchema: {
        query: z.string().min(1).max(256).describe('Name or part of a name'),
        ...pagingShape,
      },
      outputSchema: pageSchema(symbolSchema),
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const all = await intel.workspaceSymbols(args.query, extra.signal);
        const result = page(all, args.limit, args.offset);
        const body =
          all.length === 0
            ? `No symbols match "${args.query}".`
            : `${result.items.map((s) => render(s, true)).join('\n')}${pageNote(result.total, result.offset, result.returned)}`;
        return text(body, result);
      }),
  );
}
