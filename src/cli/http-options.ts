/**
 * The flags of `serve --http`, with their defaults (stated here once: --help shows them, serve
 * applies them). Kept apart from serve.ts so that registering them loads no server code.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { LOOPBACK_HOSTS, TOKEN_ENV } from '../server/http-auth.js';
import { number } from './options.js';

export const HTTP_DEFAULTS = {
  port: 8765,
  host: '127.0.0.1',
  /** MCP sessions open at once. */
  maxSessions: 32,
  /** Seconds without a request before an MCP session is closed. */
  idleSeconds: 30 * 60,
} as const;

/** Largest --max-http-sessions: each session is an MCP server object, kept in memory. */
const MAX_HTTP_SESSIONS = 1024;

export interface HttpFlags {
  /** Serve Streamable HTTP instead of stdio. */
  http?: boolean;
  port?: number;
  host?: string;
  /** File holding the bearer token (mode 600). */
  tokenFile?: string;
  maxHttpSessions?: number;
  /** Seconds. */
  httpIdle?: number;
}

function sessionCount(value: string): number {
  const n = number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_HTTP_SESSIONS) {
    throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_HTTP_SESSIONS}`);
  }
  return n;
}

/** Node's timers fire at once past 2^31 - 1 ms (about 24.8 days). */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function seconds(value: string): number {
  const n = number(value);
  if (n <= 0 || n > MAX_TIMER_SECONDS) {
    throw new InvalidArgumentError(
      `expected a number of seconds above 0, at most ${MAX_TIMER_SECONDS}`,
    );
  }
  return n;
}

export function addHttpOptions(command: Command): Command {
  return command
    .option('--http', 'serve Streamable HTTP on loopback instead of stdio')
    .option('--port <n>', `HTTP port (${HTTP_DEFAULTS.port})`, number)
    .option(
      '--host <addr>',
      `HTTP bind address: ${LOOPBACK_HOSTS.join(', ')} (${HTTP_DEFAULTS.host})`,
    )
    .option(
      '--token-file <file>',
      `HTTP bearer token file, mode 600 (default: $${TOKEN_ENV}, else a new token)`,
    )
    .option(
      '--max-http-sessions <n>',
      `MCP sessions open at once over HTTP; when full, an idle one is closed for a new one (${HTTP_DEFAULTS.maxSessions})`,
      sessionCount,
    )
    .option(
      '--http-idle <seconds>',
      `close an MCP session over HTTP after this long without a request (${HTTP_DEFAULTS.idleSeconds})`,
      seconds,
    );
}
