/**
 * Whole-workspace answers (references, rename, workspace symbols) that cover every Python file the
 * path gate allows, whatever the project's configuration says and whatever earlier calls opened.
 * A language server searches only what it analyses: pyright its `include` plus the open files,
 * pylsp (jedi) at most 30 files that name the symbol. So before asking, the workspace's files are
 * searched for the name (through the gate, cached by stamp), and the files that name it are
 *
 * - opened in the server, for servers that search their open files (pyright, basedpyright);
 * - or, where the server's own search is bounded (pylsp), checked name by name with
 *   go-to-definition in the files its answer left out.
 *
 * Either way the answer depends only on the files on disk, and says what was searched. Both are
 * bounded: at most MAX_NAME_FILES files per answer, MAX_CHECKED_NAMES definition requests.
 */
import type { Location, LocationLink, Position } from 'vscode-languageserver-protocol';
import { PymcpError } from '../shared/errors.js';
import { MAX_CHECKED_NAMES, MAX_NAME_FILES } from './answer-limits.js';
import { identifierAt, namePattern } from './addressing.js';
import { uriOf, type DocumentStore, type SyncedDocument } from './documents.js';
import { isFunctionLocal } from './local-scope.js';
import type { LspClient } from './lsp-client.js';
import { lineLength, splitLines, toLsp } from './positions.js';
import type { FileText, Refusal } from './workspace-files.js';

/** Definition requests in flight at once while checking names. */
const CHECK_PARALLEL = 4;

/** What a whole-workspace answer searched, for the answer to say. */
export interface Coverage {
  /** The name searched for (the identifier at the position, or the query). */
  name: string;
  /** Python files listed in the workspace (at most MAX_WORKSPACE_FILES of `found`). */
  listed: number;
  found: number;
  /** Files whose text names it. */
  matched: number;
  /** Matched files past MAX_NAME_FILES: not given to the server. */
  skipped: string[];
  /** Files the path gate refused, with its reason: their uses cannot be reported. */
  refused: Refusal[];
  /** Names in matched files that could not be checked (past MAX_CHECKED_NAMES). */
  unchecked: number;
  /** The file the name is local to (a function's parameter or variable), so the only one searched. */
  local: string | null;
  /** Why the workspace walk ended early (a bound on its size), so files were not seen; or null. */
  stopped: string | null;
}

export type SearchStrategy = 'open' | 'check';

/** The files that name the identifier at a position, prepared for the server. */
export interface NameSearch {
  name: string;
  files: FileText[];
  coverage: Coverage;
}

export class WholeWorkspace {
  constructor(
    private readonly client: LspClient,
    private readonly store: DocumentStore,
  ) {}

  /**
   * How the server is made to see every file: pylsp's jedi reads files from disk and stops
   * after 30 that name the symbol, so opening files would not help; the others search open files.
   */
  get strategy(): SearchStrategy {
    return this.client.kind === 'pylsp' ? 'check' : 'open';
  }

  /**
   * Find the workspace files whose text `matches`, and (strategy "open") open them in the server.
   * Returns the files (at most MAX_NAME_FILES) and what was searched.
   */
  async prepare(
    name: string,
    matches: (text: string) => boolean,
    signal?: AbortSignal,
  ): Promise<{ files: FileText[]; coverage: Coverage }> {
    const coverage = emptyCoverage(name);
    const workspace = this.store.files;
    if (workspace === null) return { files: [], coverage };
    const search = await workspace.search(matches, signal);
    coverage.listed = search.listed;
    coverage.found = search.found;
    coverage.stopped = search.stopped;
    coverage.matched = search.matched.length;
    coverage.refused = search.refused;
    const files = search.matched.slice(0, MAX_NAME_FILES);
    coverage.skipped = search.matched.slice(MAX_NAME_FILES).map((f) => f.file.relative);
    if (this.strategy === 'open') await this.store.openAll(files);
    return { files, coverage };
  }

  /**
   * Every use of the name at `position` in every workspace file that names it, sorted; with
   * `includeDeclaration` false, without the declarations (where go-to-definition leads).
   */
  async references(
    doc: SyncedDocument,
    position: Position,
    includeDeclaration: boolean,
    signal?: AbortSignal,
  ): Promise<{ locations: Location[]; coverage: Coverage | null }> {
    const declarations = await this.declarations(doc, position, signal);
    const search = await this.prepareName(doc, position, declarations, signal);
    // Always with the declaration: pyright's includeDeclaration: false drops the queried
    // position instead, and pylsp ignores it. The declaration is dropped below, by definition.
    const answer = await this.serverReferences(doc, position, signal);
    let all = answer;
    if (search !== null) {
      const answered = new Set(answer.map((l) => l.uri));
      all = all.concat(await this.checkedUses(search, answered, declarations, signal));
    }
    if (!includeDeclaration) all = all.filter((l) => !declarations.some((d) => sameStart(d, l)));
    return { locations: sortLocations(all), coverage: search?.coverage ?? null };
  }

  /**
   * Before a whole-workspace question about the name at `position` (declared at
   * `declarations`): find the workspace files that name it and let the server see them. A name
   * local to a function needs no search. Null when there is no name at the position.
   */
  async prepareName(
    doc: SyncedDocument,
    position: Position,
    declarations: readonly Location[],
    signal?: AbortSignal,
  ): Promise<NameSearch | null> {
    const name = identifierAt(doc.lines, position, this.client.positionEncoding);
    // Without a workspace there is nothing beyond the snippet to search.
    if (name === null || this.store.files === null) return null;
    const local = await this.localTo(name, doc, declarations);
    if (local !== null) {
      const coverage = { ...emptyCoverage(name), local };
      return { name, files: [], coverage };
    }
    const pattern = namePattern(name);
    const prepared = await this.prepare(
      name,
      (text) => text.includes(name) && pattern.test(text),
      signal,
    );
    return { name, ...prepared };
  }

  /** The file `name` is local to a function in, when every declaration says so; else null. */
  private async localTo(
    name: string,
    doc: SyncedDocument,
    declarations: readonly Location[],
  ): Promise<string | null> {
    const [first] = declarations;
    if (first === undefined || declarations.some((d) => d.uri !== first.uri)) return null;
    const text = first.uri === doc.uri ? doc.text : await this.store.textOf(first.uri);
    if (text === null) return null;
    const local = declarations.every((d) =>
      isFunctionLocal(text, d.range.start, name, this.client.positionEncoding),
    );
    return local ? this.store.describeUri(first.uri).display : null;
  }

  /** The server's own references (with the declaration), as plain locations. */
  async serverReferences(
    doc: SyncedDocument,
    position: Position,
    signal?: AbortSignal,
  ): Promise<Location[]> {
    return asLocations(
      await this.client.request<Location[] | null>(
        'textDocument/references',
        { textDocument: { uri: doc.uri }, position, context: { includeDeclaration: true } },
        { signal },
      ),
    );
  }

  /** Where the name at `position` is declared (go-to-definition), as the server says. */
  async declarations(
    doc: SyncedDocument,
    position: Position,
    signal?: AbortSignal,
  ): Promise<Location[]> {
    if (!this.client.supports('definitionProvider')) return [];
    return asLocations(
      await this.client.request<Location | Location[] | LocationLink[] | null>(
        'textDocument/definition',
        { textDocument: { uri: doc.uri }, position },
        { signal },
      ),
    );
  }

  /**
   * Strategy "check": uses of the name in the searched files the server's answer did not mention
   * (`answered`, by URI) whose definition is one of `declarations`. Files the answer mentions were searched
   * by the server in full; only the others are checked, name by name.
   */
  async checkedUses(
    search: NameSearch,
    answered: ReadonlySet<string>,
    declarations: readonly Location[],
    signal?: AbortSignal,
  ): Promise<Location[]> {
    if (this.strategy !== 'check' || declarations.length === 0) return [];
    const candidates: Location[] = [];
    for (const read of search.files) {
      const uri = uriOf(read.file.relative);
      if (answered.has(uri)) continue;
      candidates.push(...occurrences(uri, read.text, search.name, this.client.positionEncoding));
    }
    const checked = candidates.slice(0, MAX_CHECKED_NAMES);
    search.coverage.unchecked += candidates.length - checked.length;
    const uses: Location[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < checked.length) {
        if (signal?.aborted) throw new PymcpError('cancelled', 'the search was cancelled');
        const candidate = checked[next++];
        if (candidate === undefined) continue;
        const result = await this.client.request<Location | Location[] | LocationLink[] | null>(
          'textDocument/definition',
          { textDocument: { uri: candidate.uri }, position: candidate.range.start },
          { signal },
        );
        if (asLocations(result).some((d) => declarations.some((e) => sameStart(d, e)))) {
          uses.push(candidate);
        }
      }
    };
    await Promise.all(Array.from({ length: CHECK_PARALLEL }, worker));
    return uses;
  }
}

function emptyCoverage(name: string): Coverage {
  return {
    name,
    listed: 0,
    found: 0,
    matched: 0,
    skipped: [],
    refused: [],
    unchecked: 0,
    local: null,
    stopped: null,
  };
}

/** Whole-identifier occurrences of `name` in a file's text, as ranges in the server's units. */
export function occurrences(
  uri: string,
  text: string,
  name: string,
  encoding: Parameters<typeof toLsp>[2],
): Location[] {
  const lines = splitLines(text);
  const out: Location[] = [];
  const pattern = namePattern(name, 'gu');
  lines.forEach((line, index) => {
    if (!line.includes(name)) return;
    for (const match of line.matchAll(pattern)) {
      const column = lineLength(line.slice(0, match.index)) + 1;
      const start = toLsp(lines, { line: index + 1, column }, encoding);
      const end = toLsp(lines, { line: index + 1, column: column + lineLength(name) }, encoding);
      out.push({ uri, range: { start, end } });
    }
  });
  return out;
}

/** A definition or references answer as plain locations (LocationLink's target selection). */
export function asLocations(result: Location | Location[] | LocationLink[] | null): Location[] {
  const list = result === null ? [] : Array.isArray(result) ? result : [result];
  return list.map((item) =>
    'targetUri' in item ? { uri: item.targetUri, range: item.targetSelectionRange } : item,
  );
}

export function sameStart(a: Location, b: Location): boolean {
  return a.uri === b.uri && samePosition(a.range.start, b.range.start);
}

function samePosition(a: Position, b: Position): boolean {
  return a.line === b.line && a.character === b.character;
}

/** Sorted by file, line and column, duplicates (same start) dropped. */
export function sortLocations(list: readonly Location[]): Location[] {
  const sorted = [...list].sort(
    (a, b) =>
      a.uri.localeCompare(b.uri) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character,
  );
  const out: Location[] = [];
  for (const item of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || !sameStart(last, item)) out.push(item);
  }
  return out;
}
