/**
 * The id of a JSON-RPC request too large to parse, read from its first or last bytes. Clients
 * differ in key order: the SDK's client writes `id` after `params`, so for a request with a huge
 * argument the id is only in the tail. Only a top-level `id` counts: one nested in the params
 * (an argument that happens to be called "id") must not be mistaken for it.
 */
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

const ID_TEXT = String.raw`-?\d{1,15}|"(?:[^"\\]|\\.){0,128}"`;
/** A simple top-level member a client may write after the id: "jsonrpc": "2.0", "method": "x". */
const SIMPLE_MEMBER = String.raw`,\s*"[A-Za-z_$]{1,32}"\s*:\s*(?:"[^"\\]{0,64}"|-?\d{1,15}|true|false|null)\s*`;
/**
 * The id as the last members of the object: after it, only simple members and the one brace
 * that closes the top-level object. A nested id is followed by two or more closing braces.
 */
const TAIL_ID = new RegExp(String.raw`"id"\s*:\s*(${ID_TEXT})\s*(?:${SIMPLE_MEMBER}){0,4}\}\s*$`);

export function recoverId(head: string, tail = ''): RequestId | null {
  return idAtHead(head) ?? idAtTail(tail);
}

function idAtTail(tail: string): RequestId | null {
  const text = TAIL_ID.exec(tail)?.[1];
  return text === undefined ? null : toId(text);
}

/** Walk the top-level members from the start, as far as the head goes. */
function idAtHead(head: string): RequestId | null {
  let at = skipSpace(head, 0);
  if (head[at] !== '{') return null;
  at += 1;
  for (;;) {
    at = skipSpace(head, at);
    const key = stringEnd(head, at);
    if (key === null) return null;
    const name = head.slice(at, key);
    at = skipSpace(head, key);
    if (head[at] !== ':') return null;
    at = skipSpace(head, at + 1);
    const end = valueEnd(head, at);
    if (end === null) return null;
    if (name === '"id"') return toId(head.slice(at, end));
    at = skipSpace(head, end);
    if (head[at] !== ',') return null;
    at += 1;
  }
}

function toId(text: string): RequestId | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value === 'string' && value.length <= 128) return value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && ' \t\r\n'.includes(text.charAt(at))) at += 1;
  return at;
}

/** Index just past the JSON string starting at `at`, or null if it does not end in `text`. */
function stringEnd(text: string, at: number): number | null {
  if (text[at] !== '"') return null;
  for (let i = at + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i + 1;
  }
  return null;
}

/** Index just past the JSON value starting at `at`, or null if it does not end in `text`. */
function valueEnd(text: string, at: number): number | null {
  const first = text[at];
  if (first === '"') return stringEnd(text, at);
  if (first !== '{' && first !== '[') {
    const match = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(at));
    // A number cut off by the end of the head could be longer: not known.
    return match === null || at + match[0].length >= text.length ? null : at + match[0].length;
  }
  let depth = 0;
  for (let i = at; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      const end = stringEnd(text, i);
      if (end === null) return null;
      i = end - 1;
    } else if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return null;
}
