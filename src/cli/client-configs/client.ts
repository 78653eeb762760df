/** What each client module provides, and the JSON-file clients' common shape. */
import path from 'node:path';
import { PymcpError } from '../../shared/errors.js';
import { JsonDocument, type JsonDialect } from './json-edit.js';
import type { ServerSpec } from './server-spec.js';

/** Where this person's files are: passed in, never read from the process inside a client. */
export interface Where {
  cwd: string;
  home: string;
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  /** --global: the user-wide file instead of the project's (Cursor). */
  global: boolean;
  isDirectory(dir: string): boolean;
}

export interface MergeResult {
  text: string;
  /** An entry of this name was there and is now replaced. */
  replaced: boolean;
}

export interface ClientConfig {
  title: string;
  /** The file --write changes, for the server `name`. */
  file(where: Where, name: string): string;
  /** Throws for what this client's file cannot express safely (a secret in clear). */
  check(spec: ServerSpec): void;
  /** What is printed without --write: a file that holds only this server. */
  render(spec: ServerSpec): string;
  /** The file's new text: `current` (null: no file yet) with this server added or replaced. */
  merge(current: string | null, file: string, spec: ServerSpec): MergeResult;
  /** What the person must still do (set a variable, load a file), for stderr. */
  notes(spec: ServerSpec, file: string): string[];
}

/** The directory of per-user settings on this platform (XDG on Linux; as Electron's appData). */
export function userConfigDir(where: Where): string {
  if (where.platform === 'win32') {
    return where.env.APPDATA ?? path.join(where.home, 'AppData', 'Roaming');
  }
  if (where.platform === 'darwin') return path.join(where.home, 'Library', 'Application Support');
  return xdgConfigHome(where);
}

/** `$XDG_CONFIG_HOME` when absolute (the spec ignores a relative one), else `~/.config`. */
export function xdgConfigHome(where: Where): string {
  const xdg = where.env.XDG_CONFIG_HOME;
  return xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(where.home, '.config');
}

/** The token note for clients that read it from an environment variable when they connect. */
export function tokenEnvNotes(spec: ServerSpec, client: string): string[] {
  if (spec.launch.kind !== 'http') return [];
  const { env, file } = spec.launch.token;
  return [
    `${client} reads the bearer token from $${env} when it connects; set it where ${client} starts, e.g. export ${env}="$(cat ${file ?? 'TOKEN_FILE'})"`,
  ];
}

/**
 * For a client whose file starts local (stdio) servers only: its entry `{command, args}`, and
 * the check that refuses --http, saying `why`.
 */
export function stdioOnly(client: string, why: string): Pick<JsonClientOptions, 'entry' | 'check'> {
  const check = (spec: ServerSpec): Extract<ServerSpec['launch'], { kind: 'stdio' }> => {
    if (spec.launch.kind !== 'stdio') {
      throw new PymcpError(
        'config_invalid',
        `${client}: ${why}; use the stdio configuration (drop --http): the client then starts its own server`,
      );
    }
    return spec.launch;
  };
  return {
    entry(spec) {
      const { command, args } = check(spec);
      return { command, args: [...args] };
    },
    check,
  };
}

interface JsonClientOptions {
  title: string;
  key: string;
  dialect: JsonDialect;
  file: (where: Where, name: string) => string;
  entry: (spec: ServerSpec) => Record<string, unknown>;
  check?: (spec: ServerSpec) => void;
  notes?: (spec: ServerSpec, file: string) => string[];
}

/** A client whose file is JSON with the servers in one object under `key`. */
export function jsonClient(options: JsonClientOptions): ClientConfig {
  return {
    title: options.title,
    file: options.file,
    check: options.check ?? (() => undefined),
    render: (spec) =>
      `${JSON.stringify({ [options.key]: { [spec.name]: options.entry(spec) } }, null, 2)}\n`,
    merge(current, file, spec) {
      const document = JsonDocument.parse(current, file, options.dialect);
      const replaced = document.set([options.key, spec.name], options.entry(spec));
      return { text: document.toString(), replaced };
    },
    notes: options.notes ?? ((spec) => tokenEnvNotes(spec, options.title)),
  };
}
