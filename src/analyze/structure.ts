/** Structure from the language server: symbols, hover signatures and docstrings, diagnostics. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { errorMessage } from '../shared/errors.js';
import { call, textOf } from './mcp-calls.js';
import type { Report } from './report.js';
import type { AnalysisTarget } from './target.js';

export async function gatherStructure(
  client: Client,
  target: AnalysisTarget,
  report: Report,
  signal?: AbortSignal,
): Promise<void> {
  const structure = report.structure;
  try {
    const symbols = await call(
      client,
      'lsp_document_symbols',
      { file: target.file, limit: 500 },
      signal,
    );
    if (symbols.isError) {
      structure.error = textOf(symbols);
      return;
    }
    structure.available = true;
    const items = (
      symbols.structuredContent as { items: Array<{ path: string; kind: string; line: number }> }
    ).items;
    structure.symbols = items.map((s) => ({ path: s.path, kind: s.kind, line: s.line }));
    for (const fn of items.filter(
      (s) => (s.kind === 'function' || s.kind === 'class') && !s.path.includes('.'),
    )) {
      const hover = await call(client, 'lsp_hover', { file: target.file, symbol: fn.path }, signal);
      const contents = hover.isError
        ? ''
        : ((hover.structuredContent as { contents?: string }).contents ?? '');
      const [signature, doc] = splitHover(contents, fn.path);
      structure.functions.push({ name: fn.path, line: fn.line, signature, doc });
    }
    if (structure.functions.length > 0) structure.functions_from = 'language_server';
    const diagnostics = await call(
      client,
      'lsp_diagnostics',
      { file: target.file, limit: 200 },
      signal,
    );
    const content = diagnostics.structuredContent as
      | {
          known: boolean;
          server: string;
          items: Array<{
            line: number;
            column: number;
            severity: string;
            message: string;
            code: string | null;
          }>;
        }
      | undefined;
    structure.diagnostics = {
      known: content?.known ?? false,
      items: (content?.items ?? []).map((d) => ({
        line: d.line,
        column: d.column,
        severity: d.severity,
        message: d.message,
        code: d.code,
      })),
    };
    report.language_server = content?.server ?? null;
  } catch (error) {
    structure.error = errorMessage(error);
  }
}

/**
 * Hover markdown -> (the signature, the prose after it). The signature is the code block the
 * hover starts with, when it reads as one: pyright's `(function) def f(...)`, a `def`/`class`
 * line, or pylsp's `f(a, b) -> r`. pylsp renders doctests as code blocks too and, for such
 * docstrings, sends no signature at all: `>>> f(0), f(1)` must not become one.
 */
export function splitHover(contents: string, name: string): [string | null, string] {
  const block = /^\s*```(?:python)?\n([\s\S]*?)```/.exec(contents);
  const code = block?.[1]?.trim() ?? '';
  const escaped =
    name
      .split('.')
      .pop()
      ?.replace(/[^\p{L}\p{N}_]/gu, '') ?? '';
  const forms = [
    new RegExp(`^\\((?:function|method|class|variable|type)\\)\\s+.*\\b${escaped}\\b`, 'su'),
    new RegExp(`^(?:async\\s+)?(?:def|class)\\s+${escaped}\\b`, 'u'),
    new RegExp(`^${escaped}\\([^()]*\\)(?:\\s*->\\s*[^\\n]+)?$`, 'u'),
  ];
  const signature =
    block !== null && escaped !== '' && forms.some((form) => form.test(code))
      ? code
          .replace(/^\((?:function|method|class|variable|type)\)\s*/, '')
          .replace(/\(\s+/g, '(')
          .replace(/,\s+/g, ', ')
          .replace(/,?\s+\)/g, ')')
      : null;
  const doc = (signature === null ? contents : contents.slice(block?.[0].length ?? 0))
    .replace(/^\s*---\s*$/m, '')
    // Hover text is Markdown; the report wants the docstring as written.
    .replace(/\\([\\`*_{}[\]()#+\-.!|])/g, '$1')
    .trim();
  return [signature, doc];
}
