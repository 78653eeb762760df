/**
 * Replacing one `[mcp_servers.NAME]` table of a TOML file (Codex's config.toml) as text: the
 * file is parsed with smol-toml to check it and to read each table header, the lines of our
 * table (and its sub-tables) are cut out, and the new table is appended. Everything else,
 * comments included, stays byte for byte (re-serialising the whole file would drop every
 * comment); comments inside our own old table go with it. The result is parsed again and must
 * equal the old document with only our table changed, or nothing is written.
 */
import { isDeepStrictEqual } from 'node:util';
import { parse, stringify, TomlError } from 'smol-toml';
import { PymcpError, errorMessage } from '../../shared/errors.js';

type Table = Record<string, unknown>;

function parseToml(text: string, file: string): Table {
  try {
    return plain(parse(text));
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    throw new PymcpError(
      'file_failed',
      `${file}: not valid TOML: ${errorMessage(error).split('\n')[0] ?? ''} (line ${error.line}, column ${error.column}); left untouched`,
      { cause: error },
    );
  }
}

/** The TOML text of `[PARENT.NAME]` holding `table` (and its sub-tables), ending in a newline. */
export function tomlTable(parent: string, name: string, table: Table): string {
  return stringify({ [parent]: { [name]: table } }).trimEnd() + '\n';
}

/** `text` with `[parent.name]` set to `table`; `replaced`: it was there before. */
export function setTomlTable(
  text: string | null,
  file: string,
  parent: string,
  name: string,
  table: Table,
): { text: string; replaced: boolean } {
  const source = text ?? '';
  const before = parseToml(source, file);
  const servers = before[parent];
  if (servers !== undefined && !isTable(servers)) {
    throw new PymcpError('file_failed', `${file}: "${parent}" is not a table; left untouched`);
  }
  const replaced = servers?.[name] !== undefined;
  const kept = removeTable(source, parent, name);
  const others = Object.fromEntries(Object.entries(servers ?? {}).filter(([key]) => key !== name));
  const expectedWithout = { ...before, ...(servers !== undefined && { [parent]: others }) };
  let keptDocument: Table;
  try {
    keptDocument = parseToml(kept, file);
  } catch (error) {
    throw new PymcpError('file_failed', `could not update ${file} in place; left untouched`, {
      cause: error,
    });
  }
  // Our table may have been the only thing that made the parent exist.
  if (
    keptDocument[parent] === undefined &&
    Object.keys(others).length === 0 &&
    servers !== undefined
  ) {
    keptDocument[parent] = {};
  }
  if (!isDeepStrictEqual(keptDocument, expectedWithout)) {
    throw new PymcpError(
      'file_failed',
      `${file}: ${parent}.${name} is not written as its own [${parent}.${name}] table (an inline table or dotted keys); change it by hand, or delete it and run again; left untouched`,
    );
  }
  // The file's own line ending (a Windows file stays CRLF throughout).
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const block = tomlTable(parent, name, table).replaceAll('\n', eol);
  const separator =
    kept.trim() === '' ? '' : kept.endsWith(eol + eol) ? '' : kept.endsWith(eol) ? eol : eol + eol;
  const result = kept.trim() === '' ? block : kept + separator + block;
  const expected = { ...before, [parent]: { ...others, [name]: table } };
  let after: Table;
  try {
    after = parseToml(result, file);
  } catch (error) {
    // The rest of the file parsed alone: what a [parent.name] header cannot extend is the parent
    // itself, written `parent = { ... }` (TOML closes an inline table where it ends).
    throw new PymcpError(
      'file_failed',
      `${file}: "${parent}" is an inline table (${parent} = { ... }), which a [${parent}.${name}] table cannot add to; add the server inside it by hand, or write its servers as [${parent}.NAME] tables; left untouched`,
      { cause: error },
    );
  }
  if (!isDeepStrictEqual(after, plain(expected))) {
    throw new PymcpError('file_failed', `could not update ${file} in place; left untouched`);
  }
  return { text: result, replaced };
}

/**
 * `text` without the lines of `[parent.name]` and its sub-tables. A table runs to the next
 * header; comment and blank lines just before that header stay, since they belong to it.
 */
function removeTable(text: string, parent: string, name: string): string {
  const lines = text.split(/(?<=\n)/);
  const out: string[] = [];
  let inside = false;
  let pending: string[] = [];
  let inString: string | null = null;
  for (const line of lines) {
    const header = inString === null ? headerPath(line) : null;
    inString = multiLineStringAfter(line, inString);
    if (header !== null) {
      const ours = header[0] === parent && header[1] === name;
      if (inside && !ours) out.push(...pending);
      pending = [];
      inside = ours;
    }
    if (!inside) out.push(line);
    else if (header === null && /^\s*(#.*)?\r?\n?$/.test(line)) pending.push(line);
    else pending = [];
  }
  return out.join('');
}

/** Inside which multi-line string (its delimiter) the text after `line` is, or null. */
function multiLineStringAfter(line: string, inString: string | null): string | null {
  let state = inString;
  let i = 0;
  for (;;) {
    if (state === null) {
      const hash = line.indexOf('#', i);
      const starts = ['"""', "'''"]
        .map((delimiter) => ({ delimiter, at: line.indexOf(delimiter, i) }))
        .filter(({ at }) => at !== -1 && (hash === -1 || at < hash))
        .sort((a, b) => a.at - b.at);
      const first = starts[0];
      if (first === undefined) return null;
      state = first.delimiter;
      i = first.at + 3;
    } else {
      const end = line.indexOf(state, i);
      if (end === -1) return state;
      state = null;
      i = end + 3;
    }
  }
}

/** The key path of a table header line (`[a.b]`, `[[a.b]]`), else null. */
function headerPath(line: string): string[] | null {
  if (!/^\s*\[/.test(line)) return null;
  let value: unknown;
  try {
    value = parse(line);
  } catch {
    return null;
  }
  const path: string[] = [];
  for (;;) {
    if (Array.isArray(value)) value = value[0];
    if (!isTable(value)) return path;
    const keys = Object.keys(value);
    if (keys.length !== 1) return path;
    const key = keys[0] ?? '';
    path.push(key);
    value = value[key];
  }
}

function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/** Plain objects (smol-toml's have no prototype; dates as ISO text), for deep comparison. */
function plain(value: unknown): Table {
  return JSON.parse(JSON.stringify(value)) as Table;
}
