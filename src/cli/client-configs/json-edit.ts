/**
 * Changing one member of a JSON (or JSON-with-comments) configuration in place: Microsoft's
 * jsonc-parser reads the file and gives each value's offsets; only the text of our member is
 * written, so every other server, every comment and the file's indentation stay byte for byte.
 * (jsonc-parser's own `modify` re-formats the neighbouring member's line, and moves a comment
 * at its end; a new member is inserted here first in its object instead, where it touches
 * nothing else.)
 */
import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type JSONPath,
  type Node,
  type ParseError,
} from 'jsonc-parser';
import { PymcpError } from '../../shared/errors.js';

/** `json`: what JSON.parse accepts. `jsonc`: comments and trailing commas too (VS Code, Zed). */
export type JsonDialect = 'json' | 'jsonc';

export class JsonDocument {
  private constructor(
    private text: string,
    private readonly file: string,
    private readonly dialect: JsonDialect,
  ) {}

  /** Parse `text` (null or blank: an empty object); a file that is not a JSON object is refused. */
  static parse(text: string | null, file: string, dialect: JsonDialect): JsonDocument {
    const source = text === null || text.trim() === '' ? '{}\n' : text;
    const document = new JsonDocument(source, file, dialect);
    document.root();
    return document;
  }

  toString(): string {
    return this.text;
  }

  /** The value at `path`, or undefined. */
  get(path: JSONPath): unknown {
    const node = findNodeAtLocation(this.root(), path);
    return node === undefined ? undefined : getNodeValue(node);
  }

  /** Set `path` to `value`; true if something was there before (and is now replaced). */
  set(path: JSONPath, value: unknown): boolean {
    this.requireUniqueAlong(path);
    this.requireObjectsAlong(path);
    const root = this.root();
    const existing = findNodeAtLocation(root, path);
    if (existing !== undefined) {
      this.replace(existing, value);
    } else {
      let depth = path.length - 1;
      while (depth > 0 && findNodeAtLocation(root, path.slice(0, depth)) === undefined) depth--;
      const container = depth === 0 ? root : findNodeAtLocation(root, path.slice(0, depth));
      let nested = value;
      for (let i = path.length - 1; i > depth; i--) nested = { [String(path[i])]: nested };
      if (container === undefined) throw this.refuse('cannot find where to insert');
      this.insertFirst(container, String(path[depth]), nested);
    }
    this.verify(path, value);
    return existing !== undefined;
  }

  /** Replace the element of the array at `path` whose `key` equals `value[key]`, else add it. */
  upsert(path: JSONPath, key: string, value: Record<string, unknown>): boolean {
    this.requireUniqueAlong(path);
    this.requireObjectsAlong([...path, 0]);
    const array = findNodeAtLocation(this.root(), path);
    if (array === undefined) {
      this.set(path, [value]);
      return false;
    }
    if (array.type !== 'array') throw this.refuse(`"${path.join('.')}" is not an array`);
    const elements = array.children ?? [];
    const index = elements.findIndex((element) => {
      const item: unknown = getNodeValue(element);
      return (
        typeof item === 'object' &&
        item !== null &&
        (item as Record<string, unknown>)[key] === value[key]
      );
    });
    const element = elements[index];
    if (element !== undefined) this.replace(element, value);
    else this.insertFirst(array, null, value);
    this.verify([...path, index === -1 ? 0 : index], value);
    return index !== -1;
  }

  private replace(node: Node, value: unknown): void {
    const owner = node.parent?.type === 'property' ? node.parent : node;
    const indent = lineIndent(this.text, owner.offset);
    this.splice(node.offset, node.length, this.pretty(value, indent));
  }

  /** Insert `"key": value` (or an array element) as the first member of `container`. */
  private insertFirst(container: Node, key: string | null, value: unknown): void {
    const unit = this.indentUnit();
    const eol = this.eol();
    const outer = lineIndent(this.text, container.offset);
    const inner = outer + unit;
    const member = (key === null ? '' : `${JSON.stringify(key)}: `) + this.pretty(value, inner);
    const empty = (container.children ?? []).length === 0;
    // After the opening bracket; past the end of its line when only a comment follows it there.
    let at = container.offset + 1;
    const end = lineEnd(this.text, at);
    const restOfLine = this.text.slice(at, end);
    const ownLine = /^\s*(\/\/.*)?$/.test(restOfLine);
    if (ownLine) at = end;
    let content = `${eol}${inner}${member}`;
    if (!empty) content += ',';
    if (!ownLine) content += empty ? `${eol}${outer}` : `${eol}${inner}`;
    this.splice(at, 0, content);
  }

  private splice(offset: number, length: number, content: string): void {
    this.text = this.text.slice(0, offset) + content + this.text.slice(offset + length);
  }

  /** `value` as JSON, its lines after the first indented by `indent` plus one unit per level. */
  private pretty(value: unknown, indent: string): string {
    return JSON.stringify(value, null, this.indentUnit()).replaceAll('\n', this.eol() + indent);
  }

  /** Never hand back a file that does not say what was meant. */
  private verify(path: JSONPath, value: unknown): void {
    if (JSON.stringify(this.get(path)) !== JSON.stringify(value)) {
      throw new PymcpError('file_failed', `could not update ${this.file} in place; left untouched`);
    }
  }

  /**
   * Security: a key given twice names two values, and the clients (JSON.parse) read the last
   * while jsonc-parser finds the first: our entry would go where no client looks, and a planted
   * second entry would stay in force.
   */
  private requireUniqueAlong(path: JSONPath): void {
    let node: Node | undefined = this.root();
    for (let i = 0; i < path.length && node?.type === 'object'; i++) {
      const members: Node[] = (node.children ?? []).filter(
        (member) => member.children?.[0]?.value === path[i],
      );
      if (members.length > 1) {
        throw this.refuse(
          `"${path.slice(0, i + 1).join('.')}" is given ${members.length === 2 ? 'twice' : `${members.length} times`}; keep one`,
        );
      }
      node = members[0]?.children?.[1];
    }
  }

  private requireObjectsAlong(path: JSONPath): void {
    for (let i = 1; i < path.length; i++) {
      const value = this.get(path.slice(0, i));
      if (
        value !== undefined &&
        (typeof value !== 'object' || value === null || Array.isArray(value))
      ) {
        if (i === path.length - 1 && Array.isArray(value) && typeof path[i] === 'number') continue;
        throw this.refuse(`"${path.slice(0, i).join('.')}" is not an object`);
      }
    }
  }

  private root(): Node {
    const errors: ParseError[] = [];
    let tree: Node | undefined;
    try {
      tree = parseTree(this.text, errors, {
        disallowComments: this.dialect === 'json',
        allowTrailingComma: this.dialect === 'jsonc',
        allowEmptyContent: false,
      });
    } catch (error) {
      // jsonc-parser recurses once per level: a hostile file can run it out of stack.
      if (error instanceof RangeError) throw this.refuse('nested too deeply to read');
      throw error;
    }
    const first = errors[0];
    if (first !== undefined) {
      const { line, column } = position(this.text, first.offset);
      throw this.refuse(
        `not valid ${this.dialect === 'json' ? 'JSON' : 'JSON with comments'}: ${printParseErrorCode(first.error)} at line ${line}, column ${column}`,
      );
    }
    if (tree?.type !== 'object') throw this.refuse('not a JSON object');
    if (depthOf(tree) > MAX_DEPTH) throw this.refuse('nested too deeply to read');
    return tree;
  }

  private refuse(why: string): PymcpError {
    return new PymcpError('file_failed', `${this.file}: ${why}; left untouched`);
  }

  /** The file's line ending: CRLF if it has one, else LF. */
  private eol(): string {
    return this.text.includes('\r\n') ? '\r\n' : '\n';
  }

  /** The file's own indentation unit (its first indented line), else two spaces. */
  private indentUnit(): string {
    return /\n([ \t]+)\S/.exec(this.text)?.[1] ?? '  ';
  }
}

/**
 * Deeper than any client configuration. Reading a value (getNodeValue) and writing one recurse
 * once per level too, so a file deep enough to run them out of stack is refused up front.
 */
const MAX_DEPTH = 256;

/** Levels of nesting under `root`, counted without recursion. */
function depthOf(root: Node): number {
  let deepest = 0;
  const stack: Array<[Node, number]> = [[root, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    deepest = Math.max(deepest, depth);
    for (const child of node.children ?? []) {
      stack.push([child, node.type === 'property' ? depth : depth + 1]);
    }
  }
  return deepest;
}

function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? '';
}

function lineEnd(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  if (newline === -1) return text.length;
  return text[newline - 1] === '\r' ? newline - 1 : newline;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
