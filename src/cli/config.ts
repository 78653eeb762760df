/**
 * `isolated-pymcp config CLIENT`: the configuration that wires this server into an MCP client,
 * decided once (client-configs/server-spec.ts) and spelled in each client's format; printed, or
 * merged into the client's file with --write.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { loadToken } from '../server/http-auth.js';
import { PymcpError } from '../shared/errors.js';
import { packageFile } from '../shared/package-root.js';
import { VERSION } from '../shared/version.js';
import { claudeMcpAdd } from './client-configs/claude-code.js';
import { CLIENTS } from './client-configs/clients.js';
import type { Where } from './client-configs/client.js';
import {
  assertStaysInProject,
  readConfigFile,
  writeConfigFile,
} from './client-configs/config-file.js';
import {
  checkEnvName,
  checkName,
  checkPlainText,
  checkUrl,
  type Launch,
  type ServerSpec,
} from './client-configs/server-spec.js';
import { isDirectory, serveArgs, stdioLaunch } from './client-configs/stdio-launch.js';
import { CONFIG_DEFAULTS, type ClientId, type ConfigFlags } from './config-options.js';

export async function configCommand(
  clientId: ClientId,
  serveFlags: readonly string[],
  flags: ConfigFlags,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  if (flags.token !== undefined) {
    // Security: a token written into a client's file is readable by anyone who reads the file.
    throw new PymcpError(
      'config_invalid',
      'refusing --token: a bearer token is never written into a client configuration in clear; put it in a file (--token-file, mode 600) or an environment variable (--token-env VAR) and the configuration will refer to it',
    );
  }
  const client = CLIENTS[clientId];
  if (flags.global === true && clientId !== 'cursor') {
    throw new PymcpError('config_invalid', '--global applies to cursor only');
  }
  if (flags.printCommand === true && clientId !== 'claude-code') {
    throw new PymcpError('config_invalid', '--print-command applies to claude-code only');
  }
  const cwd = process.cwd();
  const { launch, secrets } = await launchFrom(serveFlags, flags, cwd, environment);
  const spec: ServerSpec = { name: checkName(flags.name ?? CONFIG_DEFAULTS.name), launch };
  client.check(spec);

  if (flags.printCommand === true) {
    process.stdout.write(`${claudeMcpAdd(spec)}\n`);
    return 0;
  }
  const where: Where = {
    cwd,
    home: homedir(),
    platform: process.platform,
    env: environment,
    global: flags.global === true,
    isDirectory,
  };
  const file =
    flags.file !== undefined
      ? path.resolve(cwd, checkPlainText('--file', flags.file))
      : client.file(where, spec.name);
  const notes = client.notes(spec, file);
  if (flags.write !== true) {
    const text = client.render(spec);
    assertNoSecret(text, secrets);
    process.stdout.write(text);
    if (clientId === 'claude-code') notes.push(`or run: ${claudeMcpAdd(spec)}`);
    notes.push(`--write merges this into ${file}`);
    writeNotes(notes);
    return 0;
  }
  await assertStaysInProject(file, cwd);
  const current = await readConfigFile(file);
  const { text, replaced } = client.merge(current?.text ?? null, file, spec);
  assertNoSecret(text, secrets);
  if (current !== null && current.text === text) {
    process.stdout.write(
      `${file}: the "${spec.name}" server is already configured so; nothing written\n`,
    );
  } else {
    const backup = await writeConfigFile(file, current, text);
    process.stdout.write(
      `${file}: ${replaced ? 'replaced the existing' : 'added the'} "${spec.name}" server${backup === null ? '' : `; the previous file is saved as ${backup}`}\n`,
    );
  }
  writeNotes(notes);
  return 0;
}

/** How the client reaches the server, and the token values that must not appear in any output. */
async function launchFrom(
  serveFlags: readonly string[],
  flags: ConfigFlags,
  cwd: string,
  environment: Readonly<Record<string, string | undefined>>,
): Promise<{ launch: Launch; secrets: string[] }> {
  if (flags.http === undefined) {
    if (
      flags.tokenEnv !== undefined ||
      flags.tokenFile !== undefined ||
      flags.allowRemote === true
    ) {
      throw new PymcpError(
        'config_invalid',
        '--token-env, --token-file and --allow-remote go with --http; a stdio server needs no token',
      );
    }
    const args = serveArgs(serveFlags, flags.workspace, cwd);
    const installation = {
      node: process.execPath,
      bin: packageFile('bin', 'isolated-pymcp'),
      version: VERSION,
    };
    return { launch: stdioLaunch(installation, args, flags.npx === true), secrets: [] };
  }
  if (serveFlags.length > 0 || flags.workspace !== undefined || flags.npx === true) {
    throw new PymcpError(
      'config_invalid',
      'serve flags, --workspace and --npx configure a stdio server; with --http, give them to the running `serve --http`',
    );
  }
  const url = checkUrl(flags.http, flags.allowRemote === true);
  const env = checkEnvName(flags.tokenEnv ?? CONFIG_DEFAULTS.tokenEnv);
  const secrets: string[] = [];
  const fromEnv = environment[env];
  if (fromEnv !== undefined && fromEnv !== '') secrets.push(fromEnv);
  let file: string | undefined;
  if (flags.tokenFile !== undefined) {
    file = path.resolve(cwd, checkPlainText('--token-file', flags.tokenFile));
    // Checked now (private, regular, long enough), as serve checks it; kept only to look for.
    const token = await loadToken(file, undefined);
    if (token !== undefined) secrets.push(token);
  }
  return {
    launch: { kind: 'http', url, token: { env, ...(file !== undefined && { file }) } },
    secrets,
  };
}

/** Security: the last check before anything is printed or written: no token value in it. */
function assertNoSecret(text: string, secrets: readonly string[]): void {
  if (secrets.some((secret) => secret.length > 0 && text.includes(secret))) {
    throw new PymcpError(
      'config_invalid',
      'refusing: the bearer token itself would appear in the configuration (is it part of the URL, the name or a path?)',
    );
  }
}

function writeNotes(notes: readonly string[]): void {
  for (const note of notes) process.stderr.write(`isolated-pymcp: ${note}\n`);
}
