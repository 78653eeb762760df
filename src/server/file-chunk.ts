/**
 * One piece of a downloaded file as text a response can carry: UTF-8 text when it is text, else
 * base64, cut so that it fits a byte budget once JSON-escaped, always at a byte offset the next
 * page can start from. Pure.
 */
import { jsonStringBytes } from './response-budget.js';

type ChunkEncoding = 'text' | 'base64';

interface FittedChunk {
  encoding: ChunkEncoding;
  /** The content: the bytes as UTF-8 text, or their base64. */
  content: string;
  /** Bytes of the file it covers (the next page starts after them). */
  bytes: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The longest prefix of `data` that is whole UTF-8 characters with no NUL, as text; null when
 * the bytes are not text. A character cut by the end of the piece (not at the end of the file)
 * is left for the next page.
 */
export function textPrefix(data: Buffer, atEnd: boolean): { text: string; bytes: number } | null {
  let end = data.length;
  if (!atEnd && end > 0) {
    // Back up to the lead byte of the last character (at most 3 continuation bytes after it);
    // a character the piece cut short is left for the next page.
    let lead = end - 1;
    while (lead > 0 && end - lead < 4 && ((data[lead] ?? 0) & 0xc0) === 0x80) lead -= 1;
    const byte = data[lead] ?? 0;
    if (byte >= 0xc0) {
      const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      if (end - lead < need) end = lead;
    }
  }
  const piece = data.subarray(0, end);
  if (piece.includes(0)) return null;
  try {
    return { text: decoder.decode(piece), bytes: end };
  } catch {
    return null;
  }
}

/**
 * Fit `data` (read from the file at some offset; `atEnd`: it reaches the end of the file) into
 * `room` bytes of JSON. `want`: 'auto' picks text when the bytes are UTF-8, else base64.
 */
export function fitChunk(
  data: Buffer,
  atEnd: boolean,
  want: 'auto' | ChunkEncoding,
  room: number,
): FittedChunk {
  if (want !== 'base64') {
    let piece = data;
    let end = atEnd;
    for (;;) {
      const text = textPrefix(piece, end);
      if (text === null) break;
      const size = jsonStringBytes(text.text);
      if (size <= room || text.bytes === 0)
        return { encoding: 'text', content: text.text, bytes: text.bytes };
      // Escapes make some text longer than its bytes: shrink in proportion, then re-check.
      const keep = Math.max(1, Math.floor((text.bytes * room) / size) - 8);
      piece = piece.subarray(0, Math.min(keep, text.bytes - 1));
      end = false;
    }
    if (want === 'text') {
      throw new RangeError(
        'the file is not UTF-8 text at this offset; download it with encoding "base64"',
      );
    }
  }
  const bytes = Math.min(data.length, Math.floor(room / 4) * 3);
  return { encoding: 'base64', content: data.subarray(0, bytes).toString('base64'), bytes };
}
