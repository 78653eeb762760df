/**
 * Each client's configuration format, written from that client's documentation (cited in
 * src/cli/client-configs/*.ts), independently of the code that generates it; and a reader for
 * the Emacs Lisp file, which has no parser in Node.
 */
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import type { ClientId } from '../../src/cli/config-options.js';

const stringMap = z.record(z.string(), z.string());
const nonEmpty = z.string().min(1);

/** Claude Code's .mcp.json: stdio or http servers under mcpServers. */
export const claudeCodeFile = z.object({
  mcpServers: z.record(
    z.string(),
    z.union([
      z.strictObject({
        type: z.literal('stdio').optional(),
        command: nonEmpty,
        args: z.array(z.string()).optional(),
        env: stringMap.optional(),
      }),
      z.strictObject({
        type: z.enum(['http', 'sse']),
        url: z.url(),
        headers: stringMap.optional(),
      }),
    ]),
  ),
});

/** Claude Desktop: local servers only. */
export const claudeDesktopFile = z.object({
  mcpServers: z.record(
    z.string(),
    z.strictObject({
      command: nonEmpty,
      args: z.array(z.string()).optional(),
      env: stringMap.optional(),
    }),
  ),
});

/** VS Code's mcp.json: servers (name: letter first) with a type, and inputs for secrets. */
export const vscodeFile = z.strictObject({
  inputs: z
    .array(
      z.object({
        type: z.literal('promptString'),
        id: nonEmpty,
        description: z.string(),
        password: z.boolean().optional(),
      }),
    )
    .optional(),
  servers: z.record(
    z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]*$/),
    z.union([
      z.strictObject({
        type: z.literal('stdio'),
        command: nonEmpty,
        args: z.array(z.string()).optional(),
        env: stringMap.optional(),
        envFile: z.string().optional(),
      }),
      z.strictObject({
        type: z.enum(['http', 'sse']),
        url: z.url(),
        headers: stringMap.optional(),
      }),
    ]),
  ),
});

/** Cursor's mcp.json. */
export const cursorFile = z.object({
  mcpServers: z.record(
    z.string(),
    z.union([
      z.strictObject({
        type: z.literal('stdio').optional(),
        command: nonEmpty,
        args: z.array(z.string()).optional(),
        env: stringMap.optional(),
      }),
      z.strictObject({ url: z.url(), headers: stringMap.optional() }),
    ]),
  ),
});

/** Codex's config.toml: [mcp_servers.NAME], stdio or streamable HTTP; never a literal token. */
export const codexFile = z.object({
  mcp_servers: z.record(
    z.string().regex(/^[a-zA-Z0-9_-]+$/),
    z.union([
      z.strictObject({
        command: nonEmpty,
        args: z.array(z.string()).optional(),
        env: stringMap.optional(),
        cwd: z.string().optional(),
      }),
      z.strictObject({
        url: z.url(),
        bearer_token_env_var: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .optional(),
        http_headers: stringMap.optional(),
        env_http_headers: stringMap.optional(),
      }),
    ]),
  ),
});

/** Zed's settings.json: context_servers, stdio (command, args required) or HTTP. */
export const zedFile = z.object({
  context_servers: z.record(
    z.string(),
    z.union([
      z.strictObject({
        enabled: z.boolean().optional(),
        remote: z.boolean().optional(),
        command: nonEmpty,
        args: z.array(z.string()),
        env: stringMap.optional(),
        timeout: z.number().optional(),
      }),
      z.strictObject({
        enabled: z.boolean().optional(),
        url: z.url(),
        headers: stringMap.optional(),
      }),
    ]),
  ),
});

/** mcp.el's mcp-hub-servers entry: (:command STRING :args (STRING...)) or (:url STRING :token ...). */
export const emacsEntry = z.union([
  z.strictObject({ command: nonEmpty, args: z.array(z.string()) }),
  z.strictObject({ url: z.url(), token: z.literal('<function>') }),
]);

export function parseJsonFile(text: string, jsonc: boolean): unknown {
  if (!jsonc) return JSON.parse(text);
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) throw new Error(`not JSONC: ${JSON.stringify(errors)}`);
  return value;
}

export function parseTomlFile(text: string): unknown {
  return JSON.parse(JSON.stringify(parseToml(text)));
}

/** A client's file, read as that client reads it and checked against its format (throws if not). */
export function parseClientFile(client: ClientId, text: string): unknown {
  switch (client) {
    case 'claude-code':
      return claudeCodeFile.parse(parseJsonFile(text, false));
    case 'claude-desktop':
      return claudeDesktopFile.parse(parseJsonFile(text, false));
    case 'vscode':
      return vscodeFile.parse(parseJsonFile(text, true));
    case 'cursor':
      return cursorFile.parse(parseJsonFile(text, false));
    case 'codex':
      return codexFile.parse(parseTomlFile(text));
    case 'zed':
      return (zedFile as z.ZodType).parse(parseJsonFile(text, true));
    case 'emacs':
      return emacsEntry.parse(emacsServer(text).plist);
  }
}

type Sexp = string | { symbol: string } | Sexp[];

/** Read Emacs Lisp forms: lists, strings (with \\ escapes), symbols, quote. */
export function readElisp(text: string): Sexp[] {
  let i = 0;
  /** Past whitespace and `;` comments. */
  const skipBlank = (): void => {
    while (i < text.length) {
      const c = text[i] ?? '';
      if (/\s/.test(c)) i++;
      else if (c === ';') while (i < text.length && text[i] !== '\n') i++;
      else break;
    }
  };
  const form = (): Sexp => {
    skipBlank();
    const c = text[i];
    if (c === '(') {
      i++;
      const items: Sexp[] = [];
      for (;;) {
        skipBlank();
        if (text[i] === ')') {
          i++;
          return items;
        }
        if (i >= text.length) throw new Error('unbalanced parentheses');
        items.push(form());
      }
    }
    if (c === "'") {
      i++;
      return [{ symbol: 'quote' }, form()];
    }
    if (c === '"') {
      let s = '';
      i++;
      while (text[i] !== '"') {
        if (i >= text.length) throw new Error('unterminated string');
        if (text[i] === '\\') i++;
        s += text[i] ?? '';
        i++;
      }
      i++;
      return s;
    }
    const start = i;
    while (i < text.length && !/[\s()";]/.test(text[i] ?? '')) i++;
    if (start === i) throw new Error(`unexpected ${String(c)} at ${i}`);
    return { symbol: text.slice(start, i) };
  };
  const forms: Sexp[] = [];
  for (;;) {
    skipBlank();
    if (i >= text.length) return forms;
    forms.push(form());
  }
}

const isSymbol = (x: Sexp | undefined, name: string): boolean =>
  typeof x === 'object' && !Array.isArray(x) && x.symbol === name;

/** The server entry the file adds to mcp-hub-servers: [name, plist as an object]. */
export function emacsServer(text: string): { name: string; plist: Record<string, unknown> } {
  const evaluate = (x: Sexp): unknown => {
    if (typeof x === 'string') return x;
    if (!Array.isArray(x)) return x.symbol;
    if (isSymbol(x[0], 'list')) return x.slice(1).map(evaluate);
    if (isSymbol(x[0], 'lambda')) return '<function>';
    throw new Error(`unexpected form ${JSON.stringify(x)}`);
  };
  const find = (x: Sexp): Sexp[] | null => {
    if (!Array.isArray(x)) return null;
    if (isSymbol(x[0], 'cons') && Array.isArray(x[1]) && isSymbol(x[1][0], 'cons')) return x[1];
    for (const y of x) {
      const found = find(y);
      if (found !== null) return found;
    }
    return null;
  };
  const entry = find(readElisp(text));
  if (entry === null || typeof entry[1] !== 'string' || entry[2] === undefined)
    throw new Error('no (cons (cons NAME PLIST) ...) in the file');
  const list = evaluate(entry[2]) as unknown[];
  const plist: Record<string, unknown> = {};
  for (let k = 0; k < list.length; k += 2) plist[String(list[k]).replace(/^:/, '')] = list[k + 1];
  return { name: entry[1], plist };
}
