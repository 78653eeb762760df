/**
 * Result locations as models read them: workspace-relative path, 1-based line and character
 * column, and the source line (trimmed, capped); null text for a file outside the workspace.
 */
import type { Location } from 'vscode-languageserver-protocol';
import type { DocumentStore } from './documents.js';
import { toHuman, type PositionEncoding } from './positions.js';

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  /** The source line, trimmed and capped; null when the file is outside the workspace. */
  text: string | null;
}

const SOURCE_LINE_CHARS = 200;

export class SourceLocator {
  constructor(
    private readonly store: DocumentStore,
    private readonly encoding: () => PositionEncoding,
  ) {}

  /** Every location, in order, reading each file once. */
  async all(list: readonly Location[]): Promise<SourceLocation[]> {
    const out: SourceLocation[] = [];
    const cache = new Map<string, Promise<string[] | null>>();
    for (const item of list) out.push(await this.one(item, cache));
    return out;
  }

  /** A result location with its source line; `cache` shares file reads within one answer. */
  async one(
    location: Location,
    cache: Map<string, Promise<string[] | null>> = new Map(),
  ): Promise<SourceLocation> {
    const { display } = this.store.describeUri(location.uri);
    let lines = cache.get(location.uri);
    if (lines === undefined) {
      lines = this.store.linesOf(location.uri);
      cache.set(location.uri, lines);
    }
    return this.locate(display, location, await lines);
  }

  private locate(display: string, location: Location, lines: string[] | null): SourceLocation {
    const { start, end } = location.range;
    if (lines === null) {
      return {
        file: display,
        line: start.line + 1,
        column: start.character + 1,
        end_line: end.line + 1,
        end_column: end.character + 1,
        text: null,
      };
    }
    const source = lines[start.line] ?? '';
    const from = toHuman(lines, start, this.encoding());
    const to = toHuman(lines, end, this.encoding());
    return {
      file: display,
      line: from.line,
      column: from.column,
      end_line: to.line,
      end_column: to.column,
      text: source.trim().slice(0, SOURCE_LINE_CHARS),
    };
  }
}
