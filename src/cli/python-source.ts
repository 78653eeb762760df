/**
 * A Python source file read as CPython reads one (PEP 263, PEP 3120): UTF-8 by default, a
 * UTF-8 byte-order mark dropped, or the encoding its first or second line declares. The
 * sandbox compiles a string, so the decoding happens here, once.
 */
import { open } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import { PymcpError } from '../shared/errors.js';

/** PEP 263's pattern, on one of the first two lines (the second only after a comment or blank). */
const CODING = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** Python's spellings of the encodings that the WHATWG names differently (TextDecoder's labels). */
const ALIASES: Readonly<Record<string, string>> = {
  'latin-1': 'latin1',
  'iso-latin-1': 'latin1',
  'utf-8-sig': 'utf-8',
};

/**
 * The source of `file`, at most `maxBytes` of it: a larger file (or an endless one, such as
 * /dev/zero) is refused after reading one byte more, never read whole. A pipe (/dev/stdin) works.
 */
export async function readPythonSource(file: string, maxBytes: number): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(file, maxBytes + 1);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PymcpError('input_invalid', `no such file: ${file}`);
    if (code === 'EISDIR')
      throw new PymcpError('input_invalid', `${file} is a directory, not a file`);
    throw new PymcpError('input_invalid', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (bytes.length > maxBytes) {
    throw new PymcpError(
      'input_invalid',
      `${file} is larger than the ${maxBytes}-byte code limit (the same limit as python_code over MCP)`,
    );
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  const declared = bom ? null : declaredEncoding(body);
  const label = declared === null ? 'utf-8' : (ALIASES[declared] ?? declared);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  } catch {
    throw new PymcpError('input_invalid', `${file} declares the unknown encoding "${declared}"`);
  }
  try {
    return decoder.decode(body);
  } catch {
    throw new PymcpError(
      'input_invalid',
      declared === null
        ? `${file} is not valid UTF-8 text (declare its encoding on its first line, e.g. "# -*- coding: latin-1 -*-")`
        : `${file} is not valid ${declared} text, the encoding it declares`,
    );
  }
}

async function readAtMost(file: string, limit: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < limit) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

function declaredEncoding(bytes: Buffer): string | null {
  const lines = bytes.subarray(0, 1024).toString('latin1').split('\n', 2);
  const first = lines[0] ?? '';
  const match =
    CODING.exec(first) ?? (/^[ \t\f]*(#.*)?\r?$/.test(first) ? CODING.exec(lines[1] ?? '') : null);
  return match?.[1]?.toLowerCase().replace(/_/g, '-') ?? null;
}
