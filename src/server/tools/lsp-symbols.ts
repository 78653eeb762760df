/** lsp_document_symbols and lsp_workspace_symbols. */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import type { SymbolItem } from '../../lsp/code-intel.js';
import {
  READ_ONLY,
  coverageNote,
  coverageSchema,
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

/** `path:line:column  kind name.path`, the form every lsp_* answer uses. */
const render = (s: SymbolItem): string => `${s.file}:${s.line}:${s.column}  ${s.kind} ${s.path}`;

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
            : `${result.items.map(render).join('\n')}${pageNote(result.total, result.offset, result.returned)}`;
        return text(body, result);
      }),
  );

  tools.register(
    'lsp_workspace_symbols',
    {
      title: 'Find symbols in the workspace',
      description:
        "Search declarations in every Python file of the workspace (also files outside the project's configured sources, such as tests) by (partial) name, matched as the language server matches it: the letters in order, any case. Says what was searched. Paged.",
      inputSchema: {
        query: z.string().min(1).max(256).describe('Name or part of a name'),
        ...pagingShape,
      },
      outputSchema: {
        ...pageSchema(symbolSchema),
        known: z.boolean().describe("False when some files' symbols are not known yet"),
        not_known_yet: z
          .array(z.object({ file: z.string(), reason: z.string() }))
          .describe('Files whose declarations the server did not give, and why'),
        searched: coverageSchema,
      },
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const search = await intel.workspaceSymbols(args.query, extra.signal);
        const result = page(search.items, args.limit, args.offset);
        const known = search.unknown.length === 0;
        const lines = [
          search.items.length === 0
            ? `No symbols match "${args.query}"${known ? '' : ' in the files whose symbols are known'}.`
            : `${result.items.map(render).join('\n')}${pageNote(result.total, result.offset, result.returned)}`,
        ];
        if (!known) {
          lines.push(
            `Not known yet (${intel.serverKind} did not give their symbols; try again shortly): ${search.unknown
              .slice(0, 20)
              .map((u) => `${u.file} (${u.reason})`)
              .join(', ')}.`,
          );
        }
        lines.push(coverageNote(search.coverage));
        return {
          ...text(lines.join('\n\n'), {
            ...result,
            known,
            not_known_yet: search.unknown.slice(0, 100),
            searched: search.coverage,
          }),
          isError: search.items.length === 0 && !known,
        };
      }),
  );
}
