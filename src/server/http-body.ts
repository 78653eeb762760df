/** Reading a POST body without ever holding more than the cap, then checking what it holds. */
import type { IncomingMessage } from 'node:http';
import { checkMessage, parseBody, tooLarge, type Refusal } from './http-checks.js';

/**
 * The body as one JSON-RPC message (or a batch of them), or the refusal to answer with: over
 * `cap` bytes, not UTF-8 JSON, not JSON-RPC. 'aborted' when the client went away mid-body.
 */
export async function readMessage(
  req: IncomingMessage,
  cap: number,
): Promise<{ body: unknown } | Refusal | 'aborted'> {
  const read = await readBody(req, cap);
  if (read === 'aborted') return read;
  if (read === 'too_large') return tooLarge(cap);
  const parsed = parseBody(read);
  if (!('body' in parsed)) return parsed;
  return checkMessage(parsed.body) ?? parsed;
}

/**
 * The body; 'too_large' as soon as it passes `cap` bytes (the rest is discarded as it arrives);
 * 'aborted' when the client goes away first.
 */
export function readBody(
  req: IncomingMessage,
  cap: number,
): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      // Security: never hold more than `cap` bytes of a body, whatever Content-Length claimed.
      if (total > cap) {
        chunks.length = 0;
        req.off('data', onData);
        req.resume();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.once('close', () => {
      resolve('aborted');
    });
    req.once('error', () => {
      resolve('aborted');
    });
  });
}
