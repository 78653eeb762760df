/** lsp_hover, lsp_definition, lsp_references, lsp_completions, lsp_signature_help. */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import {
  READ_ONLY,
  coverageNote,
  coverageSchema,
  describeTarget,
  formatLocation,
  locationSchema,
  page,
  pageNote,
  pageSchema,
  pagingShape,
  positionShape,
  targetOf,
  text,
  withIntel,
  type CodeIntelSource,
} from './lsp-common.js';

const HOVER_CHARS = 8000;

export function registerNavigationTools(tools: ToolRegistry, source: CodeIntelSource): void {
  tools.register(
    'lsp_hover',
    {
      title: 'Hover: type, signature and docs',
      description:
        'Type information, signature and docstring for a name, from the Python language server. Point at it with file + symbol (a declaration such as "Cart.add"), file + line + symbol (a name as used on that line), or file + line + column.',
      inputSchema: positionShape,
      outputSchema: {
        found: z.boolean(),
        location: locationSchema.nullable(),
        contents: z.string(),
      },
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const hover = await intel.hover(targetOf(args), extra.signal);
        if (hover === null || hover.contents === '') {
          return text(`No hover information at ${describeTarget(args)}.`, {
            found: false,
            location: null,
            contents: '',
          });
        }
        const contents = hover.contents.slice(0, HOVER_CHARS);
        return text(`${formatLocation(hover.location)}\n\n${contents}`, {
          found: true,
          location: hover.location,
          contents,
        });
      }),
  );

  tools.register(
    'lsp_definition',
    {
      title: 'Go to definition',
      description:
        'Where a name is defined (across files). Address it with file + line + symbol (a usage on that line), file + symbol, or file + line + column. Returns path:line:column and the source line.',
      inputSchema: positionShape,
      outputSchema: { definitions: z.array(locationSchema) },
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const definitions = await intel.definition(targetOf(args), extra.signal);
        const body =
          definitions.length === 0
            ? `No definition found for ${describeTarget(args)}.`
            : definitions.map(formatLocation).join('\n');
        return text(body, { definitions: definitions.slice(0, 100) });
      }),
  );

  tools.register(
    'lsp_references',
    {
      title: 'Find references',
      description:
        "Every place a name is used, in every Python file of the workspace (also files outside the project's configured sources, such as tests), sorted by file and line. Address it like lsp_definition. Says what was searched. Paged with limit/offset.",
      inputSchema: {
        ...positionShape,
        include_declaration: z
          .boolean()
          .default(true)
          .describe('Include the declaration itself (where go-to-definition leads)'),
        ...pagingShape,
      },
      outputSchema: { ...pageSchema(locationSchema), searched: coverageSchema },
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const { locations, coverage } = await intel.references(
          targetOf(args),
          args.include_declaration,
          extra.signal,
        );
        const result = page(locations, args.limit, args.offset);
        const note = coverageNote(coverage);
        const body =
          locations.length === 0
            ? `No references found for ${describeTarget(args)}.`
            : `${locations.length} reference${locations.length === 1 ? '' : 's'}:\n${result.items.map(formatLocation).join('\n')}${pageNote(result.total, result.offset, result.returned)}`;
        return text(note === '' ? body : `${body}\n\n${note}`, {
          ...result,
          searched: coverage,
        });
      }),
  );

  tools.register(
    'lsp_completions',
    {
      title: 'Completions',
      description:
        'What can be typed at a position, e.g. the attributes after "obj.". Give file (or code) + line + column (the column just after the dot or partial name). Paged.',
      inputSchema: { ...positionShape, ...pagingShape },
      outputSchema: pageSchema(
        z.object({ label: z.string(), kind: z.string(), detail: z.string().nullable() }),
      ),
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const all = await intel.completions(targetOf(args), extra.signal);
        const result = page(all, args.limit, args.offset);
        const body =
          all.length === 0
            ? `No completions at ${describeTarget(args)}.`
            : `${result.items.map((c) => `${c.label} (${c.kind})${c.detail ? `: ${c.detail}` : ''}`).join('\n')}${pageNote(result.total, result.offset, result.returned)}`;
        return text(body, result);
      }),
  );

  tools.register(
    'lsp_signature_help',
    {
      title: 'Signature help',
      description:
        "The signature of a call, with its docs: give file + line + symbol (the called name on that line), or file + line + column inside the call's parentheses.",
      inputSchema: positionShape,
      outputSchema: {
        signatures: z.array(z.object({ label: z.string(), documentation: z.string().nullable() })),
        active_signature: z.number().nullable(),
        active_parameter: z.number().nullable(),
      },
      annotations: READ_ONLY,
    },
    (args, extra) =>
      withIntel(source, async (intel) => {
        const help = await intel.signatureHelp(targetOf(args), extra.signal);
        const signatures = help?.signatures ?? [];
        const body =
          signatures.length === 0
            ? `No call signature at ${describeTarget(args)}.`
            : signatures
                .map(
                  (s) =>
                    `${s.label}${s.documentation === null ? '' : `\n  ${s.documentation.slice(0, 2000)}`}`,
                )
                .join('\n');
        return text(body, {
          signatures,
          active_signature: help?.activeSignature ?? null,
          active_parameter: help?.activeParameter ?? null,
        });
      }),
  );
}
