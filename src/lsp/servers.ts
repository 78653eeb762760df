/**
 * The language servers we can run: where each lives on the host, its command line inside the
 * sandbox, and the settings we answer `workspace/configuration` with. Plugins or options that
 * would execute workspace code stay off.
 */
import { access, constants, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { LspKind } from '../shared/config.js';
import { unreachableReason } from '../shared/host-layout.js';
import { runCommand } from '../shared/process.js';
import type { PythonRuntime } from '../shared/python-runtime.js';
import { OWN_FILES } from '../shared/sandbox-description.js';
import { errorMessage } from '../shared/errors.js';
import { readableCopy } from './readable-copy.js';

/** Where a server's files are mounted inside the sandbox. */
export const LSP_MOUNT = OWN_FILES.languageServer;

export interface ServerLaunch {
  kind: LspKind;
  /** Host directories to mount read-only: [host, sandbox]. */
  mounts: Array<readonly [string, string]>;
  /** Command line inside the sandbox. */
  command: string[];
  /** Human-readable description for doctor and logs. */
  describe: string;
}

export type ServerAvailability =
  { available: true; launch: ServerLaunch } | { available: false; reason: string };

const require = createRequire(import.meta.url);

/** Heap for Node-based servers: pyright on a large workspace needs room, but not unbounded. */
const NODE_HEAP_MB = 3072;

/**
 * `hostIds`: the ids the sandbox runs as when the server runs as root (else null). A Node-based
 * server installed where they cannot read it (npx as root puts it under /root/.npm) runs from a
 * root-owned copy they can read (readable-copy.ts); when no safe copy can be made it is
 * unavailable, with the reason, rather than a server that dies at start.
 */
export async function locateServer(
  kind: LspKind,
  python: PythonRuntime,
  hostIds: { uid: number; gid: number } | null = null,
): Promise<ServerAvailability> {
  switch (kind) {
    case 'pyright':
      return nodeServer(
        kind,
        'pyright',
        'langserver.index.js',
        'npm ci (pyright is a dependency)',
        hostIds,
      );
    case 'basedpyright':
      return nodeServer(
        kind,
        'basedpyright',
        'langserver.index.js',
        'npm install basedpyright',
        hostIds,
      );
    case 'pylsp':
      return pylsp(python);
  }
}

async function nodeServer(
  kind: LspKind,
  pkg: string,
  entry: string,
  fix: string,
  hostIds: { uid: number; gid: number } | null,
): Promise<ServerAvailability> {
  let dir: string;
  try {
    dir = path.dirname(await realpath(require.resolve(`${pkg}/package.json`)));
    await access(path.join(dir, entry), constants.R_OK);
  } catch {
    return { available: false, reason: `${pkg} is not installed; install it with: ${fix}` };
  }
  const version = (require(`${pkg}/package.json`) as { version?: string }).version ?? '?';
  let copiedFrom: string | null = null;
  if (hostIds !== null && (await unreachableReason(dir, hostIds.uid, hostIds.gid)) !== null) {
    // npx as root: the package is under /root. A root-owned copy the sandbox's uid can read.
    try {
      const copy = await readableCopy(dir, `${pkg}-${version}`);
      copiedFrom = dir;
      dir = copy;
    } catch (error) {
      return {
        available: false,
        reason: `${pkg} in ${dir} cannot be read by the sandbox's uid ${hostIds.uid}, and no readable copy could be made (${errorMessage(error)}); install it where that user can read it (npm install -g, or a project outside private directories)`,
      };
    }
  }
  const node = await realpath(process.execPath);
  const mounts: Array<readonly [string, string]> = [[dir, `${LSP_MOUNT}/${kind}`]];
  // Node outside /usr (nvm, a tarball): mount its installation read-only at the same path.
  const nodePrefix = path.dirname(path.dirname(node));
  if (!node.startsWith('/usr/')) mounts.push([nodePrefix, nodePrefix]);
  if (hostIds !== null) {
    // The package's own directory was found readable above, unless it is now a copy.
    for (const [host] of copiedFrom === null ? mounts.slice(1) : mounts) {
      const reason = await unreachableReason(host, hostIds.uid, hostIds.gid);
      if (reason !== null) {
        return {
          available: false,
          reason: `${pkg} in ${host} cannot be read by the sandbox's uid ${hostIds.uid}: ${reason}; install it where that user can read it (npm install -g, or a project outside private directories)`,
        };
      }
    }
  }
  return {
    available: true,
    launch: {
      kind,
      mounts,
      command: [
        node,
        `--max-old-space-size=${NODE_HEAP_MB}`,
        `${LSP_MOUNT}/${kind}/${entry}`,
        '--stdio',
      ],
      describe: `${pkg} ${version} (${dir}${copiedFrom === null ? '' : `, a copy of ${copiedFrom} the sandbox can read`})`,
    },
  };
}

async function pylsp(python: PythonRuntime): Promise<ServerAvailability> {
  const probe = await runCommand(
    python.executable,
    ['-I', '-c', 'import pylsp, sys; print(pylsp.__version__)'],
    { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000 },
  );
  if (probe.exitCode !== 0) {
    return {
      available: false,
      reason: `python-lsp-server is not importable by ${python.executable}; install it with: apt-get install python3-pylsp python3-pyflakes`,
    };
  }
  return {
    available: true,
    launch: {
      kind: 'pylsp',
      // pylsp runs on the host-trusted interpreter (with a venv, jedi is pointed at the venv).
      mounts: python.extraMounts.map((dir) => [dir, dir] as const),
      command: [python.executable, '-I', '-B', '-m', 'pylsp'],
      describe: `python-lsp-server ${probe.stdout.trim()} (${python.executable})`,
    },
  };
}

export interface SettingsOptions {
  /** The interpreter pyright asks for sys.path, as a path inside the sandbox. */
  pythonPath: string;
  extraPaths: string[];
  /** The interpreter jedi (pylsp) analyses against, or null for pylsp's own. */
  jediEnvironment: string | null;
}

/** Answers to `workspace/configuration`, per server, by section. */
export function serverSettings(
  kind: LspKind,
  options: SettingsOptions,
): (section: string | undefined) => unknown {
  const analysis = {
    extraPaths: options.extraPaths,
    diagnosticMode: 'openFilesOnly',
    typeCheckingMode: 'standard',
    autoSearchPaths: true,
    useLibraryCodeForTypes: true,
    autoImportCompletions: false,
  };
  return (section) => {
    switch (section) {
      case 'python':
        return { pythonPath: options.pythonPath, analysis };
      case 'python.analysis':
      case 'basedpyright.analysis':
        return analysis;
      case 'pyright':
      case 'basedpyright':
        return { disableOrganizeImports: true };
      case 'pylsp':
        return kind === 'pylsp' ? pylspSettings(options) : null;
      default:
        return null;
    }
  };
}

/** pylsp: jedi and pyflakes only. Security: no plugin that imports or runs workspace code. */
function pylspSettings(options: SettingsOptions): unknown {
  return {
    plugins: {
      jedi: { extra_paths: options.extraPaths, environment: options.jediEnvironment },
      pyflakes: { enabled: true },
      pycodestyle: { enabled: false },
      mccabe: { enabled: false },
      pylint: { enabled: false },
      flake8: { enabled: false },
      autopep8: { enabled: false },
      yapf: { enabled: false },
      rope_autoimport: { enabled: false },
      rope_completion: { enabled: false },
    },
  };
}
