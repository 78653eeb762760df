/**
 * Fitting long text into a response budget: keep the head and the tail (the error is usually at
 * the end), cut at UTF-8 character boundaries (and at line breaks when one is near), and say in
 * one marker how much was dropped in between. Pure functions over strings; sizes are UTF-8 bytes.
 */

/** Room a marker line needs, reserved when text is clipped. */
const MARKER_BYTES = 120;
/** Of the room left for text, the share that goes to the head; the tail gets the rest. */
const HEAD_SHARE = 0.4;
/** A line break this close to a cut (as a share of the kept part) moves the cut to it. */
const LINE_SNAP_SHARE = 0.2;

export interface Clipped {
  text: string;
  /** Bytes left out (0 when the text fits). */
  droppedBytes: number;
}

/** Bytes `text` takes inside a JSON string (escapes counted, quotes not). */
export function jsonStringBytes(text: string): number {
  return utf8Bytes(JSON.stringify(text)) - 2;
}

/** Bytes `value` takes as JSON. */
export function jsonValueBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * A stream kept as head, then `gapBytes` already dropped, then tail, fitted into `maxBytes` with
 * one marker for everything left out between what is shown.
 */
export function clipSegments(
  head: string,
  gapBytes: number,
  tail: string,
  maxBytes: number,
  marker: (droppedBytes: number) => string,
): Clipped {
  const headBytes = utf8Bytes(head);
  const tailBytes = utf8Bytes(tail);
  if (gapBytes === 0 && headBytes + tailBytes <= maxBytes) {
    return { text: head + tail, droppedBytes: 0 };
  }
  const room = Math.max(0, maxBytes - MARKER_BYTES);
  if (gapBytes > 0 && headBytes + tailBytes <= room) {
    return { text: joinAround(head, marker(gapBytes), tail), droppedBytes: gapBytes };
  }
  // The tail gets its share first (or all it has), the head what is left.
  let tailKeep = Math.min(tailBytes, Math.floor(room * (1 - HEAD_SHARE)));
  let headKeep = Math.min(headBytes, room - tailKeep);
  // A short head leaves more room for the tail and the other way round.
  tailKeep = Math.min(tailBytes, room - headKeep);
  if (tail === '') {
    // One piece: its own head and tail around the marker.
    const ownTail = Math.min(headBytes, Math.floor(room * (1 - HEAD_SHARE)));
    headKeep = Math.min(headBytes - ownTail, room - ownTail);
    const first = prefixBytes(head, headKeep);
    const last = suffixBytes(head, ownTail);
    const dropped = headBytes - utf8Bytes(first) - utf8Bytes(last) + gapBytes;
    return { text: joinAround(first, marker(dropped), last), droppedBytes: dropped };
  }
  const first = prefixBytes(head, headKeep);
  const last = suffixBytes(tail, tailKeep);
  const dropped = headBytes - utf8Bytes(first) + gapBytes + tailBytes - utf8Bytes(last);
  return { text: joinAround(first, marker(dropped), last), droppedBytes: dropped };
}

/** One piece of text fitted into `maxBytes`: its head and tail around a marker. */
export function clipText(
  text: string,
  maxBytes: number,
  marker: (droppedBytes: number) => string,
): Clipped {
  return clipSegments(text, 0, '', maxBytes, marker);
}

/**
 * Split `total` bytes among pieces that want `wants[i]` bytes: small pieces get all they want,
 * the rest share what is left equally (water-filling). Returns each piece's allowance.
 */
export function shareBudget(wants: readonly number[], total: number): number[] {
  const allowance = wants.map(() => 0);
  const order = wants.map((_, index) => index).sort((a, b) => (wants[a] ?? 0) - (wants[b] ?? 0));
  let left = Math.max(0, total);
  order.forEach((index, position) => {
    const fair = Math.floor(left / (order.length - position));
    const given = Math.min(wants[index] ?? 0, fair);
    allowance[index] = given;
    left -= given;
  });
  return allowance;
}

function joinAround(first: string, marker: string, last: string): string {
  const before = first === '' || first.endsWith('\n') ? first : `${first}\n`;
  const after = last === '' || last.startsWith('\n') ? last : `\n${last}`;
  return `${before}${marker}${after}`;
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes, ending at a line break if one is near. */
export function prefixBytes(text: string, max: number): string {
  if (max <= 0) return '';
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= max) return text;
  let end = max;
  // Never split a character: back up over UTF-8 continuation bytes.
  while (end > 0 && ((buffer[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  const newline = buffer.lastIndexOf(0x0a, end - 1);
  if (newline >= 0 && end - newline <= max * LINE_SNAP_SHARE) end = newline + 1;
  return buffer.subarray(0, end).toString('utf8');
}

/** The longest suffix of `text` of at most `max` UTF-8 bytes, starting after a line break if one is near. */
export function suffixBytes(text: string, max: number): string {
  if (max <= 0) return '';
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= max) return text;
  let start = buffer.length - max;
  while (start < buffer.length && ((buffer[start] ?? 0) & 0xc0) === 0x80) start += 1;
  const newline = buffer.indexOf(0x0a, start);
  if (newline >= 0 && newline + 1 - start <= max * LINE_SNAP_SHARE) start = newline + 1;
  return buffer.subarray(start).toString('utf8');
}
