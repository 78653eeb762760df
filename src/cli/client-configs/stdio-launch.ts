/**
 * The command a client starts for stdio: this installation's launcher run by this Node, by
 * absolute paths, with the `serve` flags the user passed (checked by serve's own parser now, so
 * a typo fails here and not silently in the client's log).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { PymcpError } from '../../shared/errors.js';
import { addSandboxOptions, configFromFlags, type SandboxFlags } from '../options.js';
import { checkLiteral, checkPlainText, type Launch } from './server-spec.js';

/** Flags of `serve` whose value is a path: made absolute, since clients start servers elsewhere. */
const PATH_FLAGS = new Set(['--workspace', '--python', '--venv']);

export interface Installation {
  /** Absolute path of the Node that runs this CLI (process.execPath). */
  node: string;
  /** Absolute path of this installation's bin/isolated-pymcp. */
  bin: string;
  version: string;
}

/**
 * `serve` arguments: `--workspace DIR` if given, then the pass-through flags, validated as serve
 * validates them and with their paths made absolute against `cwd`.
 */
export function serveArgs(
  passThrough: readonly string[],
  workspace: string | undefined,
  cwd: string,
): string[] {
  for (const arg of passThrough) checkPlainText('a serve flag', arg);
  const probe = addSandboxOptions(new Command('serve'))
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .allowExcessArguments(false);
  try {
    probe.parse([...passThrough], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    throw new PymcpError(
      'config_invalid',
      `serve flags after --: ${error.message.replace(/^error: /, '')} (only the sandbox and language-server flags of serve belong in a client configuration)`,
      { cause: error },
    );
  }
  const flags = probe.opts<SandboxFlags>();
  if (workspace !== undefined && flags.workspace !== undefined) {
    throw new PymcpError('config_invalid', 'give --workspace once (before or after --), not both');
  }
  // Limits out of range fail now, worded as serve words them.
  configFromFlags({ ...flags, workspace: false }, {}, {});
  const args: string[] = [];
  if (workspace !== undefined) args.push('--workspace', workspaceDir(workspace, cwd));
  for (let i = 0; i < passThrough.length; i++) {
    const arg = passThrough[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (!PATH_FLAGS.has(flag)) {
      args.push(arg);
    } else if (eq !== -1) {
      args.push(flag, absolute(flag, arg.slice(eq + 1), cwd));
    } else {
      args.push(flag, absolute(flag, passThrough[++i] ?? '', cwd));
    }
  }
  return args;
}

function absolute(flag: string, value: string, cwd: string): string {
  return flag === '--workspace' ? workspaceDir(value, cwd) : path.resolve(cwd, value);
}

function workspaceDir(dir: string, cwd: string): string {
  const resolved = path.resolve(cwd, checkPlainText('--workspace', dir));
  if (!isDirectory(resolved)) {
    throw new PymcpError('config_invalid', `--workspace ${resolved} is not a directory`);
  }
  return resolved;
}

/** `dir` is a directory (following links); false when it cannot be stat()ed. */
export function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Node by absolute path, not the launcher's `#!/usr/bin/env node`: clients started from a desktop
 * (Claude Desktop, VS Code from a dock) do not get the PATH a shell profile or nvm sets, so
 * `node` may not be found there. `npx`: the published package at this version instead.
 */
export function stdioLaunch(
  installation: Installation,
  args: readonly string[],
  npx: boolean,
): Launch {
  for (const arg of args) checkLiteral('the serve argument', arg);
  if (npx) {
    return {
      kind: 'stdio',
      command: 'npx',
      args: ['-y', `isolated-pymcp@${installation.version}`, 'serve', ...args],
    };
  }
  return {
    kind: 'stdio',
    command: checkLiteral(
      'the path of node',
      checkPlainText('the path of node', installation.node),
    ),
    args: [
      checkLiteral(
        'the path of this installation',
        checkPlainText('the path of this installation', installation.bin),
      ),
      'serve',
      ...args,
    ],
  };
}
