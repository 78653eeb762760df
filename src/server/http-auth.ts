/**
 * Who may talk to the HTTP server: loopback binds only, and one bearer token (from a private
 * file, the environment, or generated), compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { PymcpError, errorMessage } from '../shared/errors.js';

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;
export const TOKEN_ENV = 'ISOLATED_PYMCP_TOKEN';
const MIN_TOKEN_CHARS = 16;
const MAX_TOKEN_FILE_BYTES = 4096;

/** Refuse any bind address but loopback: the token is the only other defence. */
export function assertLoopback(host: string): void {
  // Security: never listen where another machine can reach the server (0.0.0.0, a LAN address).
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(host)) {
    throw new PymcpError(
      'config_invalid',
      `refusing to serve HTTP on ${JSON.stringify(host)}: the server runs code for whoever holds the token, so it binds only to loopback (${LOOPBACK_HOSTS.join(', ')})`,
    );
  }
}

/**
 * The bearer token: the file's content (trimmed), else $ISOLATED_PYMCP_TOKEN, else 32 random
 * bytes. `generated` says the caller must show it to the user.
 */
export async function resolveToken(
  tokenFile: string | undefined,
  env: string | undefined,
): Promise<{ token: string; generated: boolean }> {
  const given = await loadToken(tokenFile, env);
  if (given !== undefined) return { token: given, generated: false };
  return { token: randomBytes(32).toString('base64url'), generated: true };
}

/** The token from the file (trimmed), else from the environment, else undefined. */
export async function loadToken(
  tokenFile: string | undefined,
  env: string | undefined,
): Promise<string | undefined> {
  if (tokenFile !== undefined) return checkToken(await readTokenFile(tokenFile), tokenFile);
  if (env !== undefined && env !== '') return checkToken(env, TOKEN_ENV);
  return undefined;
}

async function readTokenFile(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw new PymcpError(
      'config_invalid',
      `cannot read token file ${file}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  try {
    // Security: check the file actually opened, not a path that could be swapped after a stat.
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new PymcpError('config_invalid', `token file ${file} is not a regular file`);
    // Security: a token that other users can read is no secret; refuse it (like ssh does keys).
    if ((stat.mode & 0o077) !== 0) {
      throw new PymcpError(
        'config_invalid',
        `token file ${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 ${file}`,
      );
    }
    if (stat.size > MAX_TOKEN_FILE_BYTES)
      throw new PymcpError('config_invalid', `token file ${file} is too large`);
    const buffer = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').trim();
  } finally {
    await handle.close();
  }
}

function checkToken(token: string, source: string): string {
  // Security: a short or guessable token would make the bearer check a formality.
  if (token.length < MIN_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new PymcpError(
      'config_invalid',
      `the token from ${source} must be at least ${MIN_TOKEN_CHARS} printable ASCII characters without spaces`,
    );
  }
  return token;
}

export function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function authorized(header: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  // Security: constant-time comparison of equal-length digests leaks neither content nor length.
  return timingSafeEqual(digest(match[1]), tokenDigest);
}
