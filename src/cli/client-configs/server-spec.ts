/**
 * What every client's configuration says, decided once: the server's name and how the client
 * reaches it (a command it starts over stdio, or the URL of a running `serve --http` with the
 * token referenced, never copied). Each client module only spells this in its own format.
 */
import { PymcpError } from '../../shared/errors.js';

export type TokenRef = {
  /** The environment variable the client reads the token from when it connects. */
  env: string;
  /** A token file (mode 600) that clients able to read a file use instead (Emacs). */
  file?: string;
};

export type Launch =
  | { kind: 'stdio'; command: string; args: readonly string[] }
  | { kind: 'http'; url: string; token: TokenRef };

export interface ServerSpec {
  name: string;
  launch: Launch;
}

/**
 * Server names: a letter, then letters, digits, `-` and `_`. The narrowest of the clients' rules
 * (VS Code's schema wants a leading letter; Codex's table keys and the Emacs file name take it
 * as is), so one name works everywhere and never needs quoting in a path or a TOML key.
 */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new PymcpError(
      'config_invalid',
      `--name ${JSON.stringify(name)}: use a letter, then up to 63 letters, digits, - or _`,
    );
  }
  return name;
}

/** A POSIX-style environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function checkEnvName(name: string): string {
  if (!ENV_NAME.test(name)) {
    throw new PymcpError(
      'config_invalid',
      `--token-env ${JSON.stringify(name)} is not an environment variable name (letters, digits, _; not starting with a digit); the configuration refers to the variable, it never holds the token`,
    );
  }
  return name;
}

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);
const MAX_URL_CHARS = 2048;

function isLoopback(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The URL of a running `serve --http`. Loopback unless `allowRemote`: the server binds only to
 * loopback, so anything else is a proxy or a tunnel in front of it, and then it must be https.
 */
export function checkUrl(text: string, allowRemote: boolean): string {
  // Security: a control character or space could end a header line or a TOML/elisp string early.
  if (text.length > MAX_URL_CHARS || /[\s\p{Cc}]/u.test(text)) {
    throw new PymcpError(
      'config_invalid',
      '--http: not a URL (too long, or spaces or control characters)',
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PymcpError('config_invalid', `--http ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PymcpError(
      'config_invalid',
      `--http must be an http:// or https:// URL, not ${url.protocol}`,
    );
  }
  // Security: credentials in the URL would be a secret written in clear into the client's file.
  if (url.username !== '' || url.password !== '') {
    throw new PymcpError(
      'config_invalid',
      '--http: the URL carries a user name or password; the token goes in --token-env or --token-file, never in the URL',
    );
  }
  if (!isLoopback(url.hostname)) {
    if (!allowRemote) {
      throw new PymcpError(
        'config_invalid',
        `--http: ${url.hostname} is not loopback; serve --http listens only on loopback, so this is a proxy or tunnel: pass --allow-remote if you mean it`,
      );
    }
    // Security: over plain http to another machine, the bearer token would cross the network in clear.
    if (url.protocol !== 'https:') {
      throw new PymcpError(
        'config_invalid',
        '--http: a remote URL must be https://, or the bearer token crosses the network in clear',
      );
    }
  }
  return checkLiteral('--http', url.href);
}

/** Paths and arguments written into a client's file: no control characters (newlines, NUL). */
export function checkPlainText(what: string, value: string): string {
  if (/\p{Cc}/u.test(value)) {
    throw new PymcpError('config_invalid', `${what} contains a control character`);
  }
  return value;
}

/**
 * Security: Claude Code (`${VAR}`), Cursor (`${env:VAR}`) and VS Code (`${input:ID}`,
 * `${workspaceFolder}`) replace variables in a server's command, arguments and URL, with no way
 * to escape them: a value holding `${` would start the server on another path, or send a
 * variable of the client's environment to the server.
 */
export function checkLiteral(what: string, value: string): string {
  if (value.includes('${')) {
    throw new PymcpError(
      'config_invalid',
      `${what} ${JSON.stringify(value)} contains "\${", which Claude Code, Cursor and VS Code replace with a variable; use one without it`,
    );
  }
  return value;
}
