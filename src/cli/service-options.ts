/**
 * The flags of `serve` that make it a service for a team: log format, drain deadline, replica
 * name, the Host a balancer forwards, and the token of /metrics. Parsed and checked here, at
 * the edge; the server takes the typed values.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { LOG_FORMATS, type LogFormat } from '../shared/log.js';
import { number } from './options.js';

export const SERVICE_DEFAULTS = {
  /** Seconds a SIGTERM waits for calls in flight (the default run timeout is 30 s). */
  drainSeconds: 30,
  logFormat: 'text' as LogFormat,
} as const;

const MAX_DRAIN_SECONDS = 3600;

export interface ServiceFlags {
  logFormat?: LogFormat;
  drainSeconds?: number;
  replicaId?: string;
  allowedHost?: string[];
  metricsTokenFile?: string;
}

/**
 * A replica name: it starts every session id and an nginx map matches it, so only lower-case
 * letters, digits and inner hyphens, at most 32 characters (never a dot: the dot ends it).
 */
export const REPLICA_ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export function replicaId(value: string): string {
  if (!REPLICA_ID.test(value)) {
    throw new InvalidArgumentError(
      'expected 1 to 32 lower-case letters, digits and inner hyphens (e.g. r1, pymcp-a)',
    );
  }
  return value;
}

/** host:port, the host a DNS name, an IPv4 address or [IPv6]; lower-cased as Host is compared. */
const AUTHORITY = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\]):[0-9]{1,5}$/;

export function allowedHost(value: string, previous: string[] = []): string[] {
  const authority = value.toLowerCase();
  const port = Number(authority.slice(authority.lastIndexOf(':') + 1));
  if (!AUTHORITY.test(authority) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(
      'expected HOST:PORT as clients reach the balancer (e.g. 127.0.0.1:8080, mcp.internal:443)',
    );
  }
  return [...previous, authority];
}

function logFormat(value: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${LOG_FORMATS.join(', ')}`);
  }
  return value as LogFormat;
}

function drainSeconds(value: string): number {
  const n = number(value);
  if (n < 0 || n > MAX_DRAIN_SECONDS) {
    throw new InvalidArgumentError(`expected seconds from 0 to ${MAX_DRAIN_SECONDS}`);
  }
  return n;
}

export function addServiceOptions(command: Command): Command {
  return command
    .option(
      '--log-format <format>',
      `stderr log format: ${LOG_FORMATS.join(', ')} (${SERVICE_DEFAULTS.logFormat}); json is one object per line`,
      logFormat,
    )
    .option(
      '--drain-seconds <s>',
      `on SIGTERM/SIGINT over HTTP, refuse new sessions and let calls in flight finish for up to this long (${SERVICE_DEFAULTS.drainSeconds})`,
      drainSeconds,
    )
    .option(
      '--replica-id <name>',
      'HTTP: start every MCP session id with NAME. so a balancer can pin sessions to this replica',
      replicaId,
    )
    .option(
      '--allowed-host <host:port>',
      'HTTP: also accept this Host (and Origin), the address clients use to reach a balancer in front (repeatable)',
      allowedHost,
    )
    .option(
      '--metrics-token-file <file>',
      'HTTP: bearer token file (mode 600) for /metrics, so a scraper does not hold the MCP token (default: the MCP token)',
    );
}
