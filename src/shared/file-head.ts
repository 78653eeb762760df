/** The start of a file already opened (and checked) by the caller, read once and bounded. */
import type { FileHandle } from 'node:fs/promises';

/**
 * The first `maxBytes` of `handle` as UTF-8 text when it is a regular file, else null (a FIFO,
 * a device or a directory is never read). Closes the handle.
 */
export async function readHeadAndClose(
  handle: FileHandle,
  maxBytes: number,
): Promise<string | null> {
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
