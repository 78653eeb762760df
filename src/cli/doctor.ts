/**
 * `isolated-pymcp doctor`: checks each thing the sandbox needs, in order, and says how to fix
 * what fails.
 */
import { readFile } from 'node:fs/promises';
import { createLogger } from '../shared/log.js';
import { errorMessage } from '../shared/errors.js';
import { runCommand } from '../shared/process.js';
import { createSandboxFactory, findBwrap } from '../sandbox/sandbox-factory.js';
import { listInstalledPackages } from '../shared/installed-packages.js';
import { describeEnvironment } from '../shared/python-environment.js';
import { resolvePython, type PythonRuntime } from '../shared/python-runtime.js';
import { LSP_KINDS, sandboxHostIds } from '../shared/config.js';
import { locateServer } from '../lsp/servers.js';
import { createRuntime } from '../server/runtime.js';
import { configFromFlags, type SandboxFlags } from './options.js';
import { findPrlimit, PRLIMIT } from '../shared/start-limits.js';

interface Check {
  name: string;
  /** Checks that must have passed for this one to mean anything; skipped otherwise. */
  needs?: readonly string[];
  run(): Promise<string>;
}

const BWRAP = 'bubblewrap';
const USERNS = 'unprivileged user namespaces';
const PYTHON = 'Python interpreter';
const SERVERS = 'language servers';

class CheckFailed extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

const PROBE = [
  'import os, socket',
  'try:',
  '    socket.create_connection(("1.1.1.1", 53), timeout=1); net = "reachable"',
  'except OSError:',
  '    net = "unreachable"',
  'f"uid {os.getuid()}, network {net}"',
].join('\n');

export async function doctorCommand(flags: SandboxFlags): Promise<number> {
  const { config, workspaceIsDefault } = configFromFlags({ ...flags, poolSize: 0 });
  // Probed once (it runs the interpreter): the checks that need it share the answer.
  let probed: Promise<PythonRuntime> | undefined;
  const python = (): Promise<PythonRuntime> => (probed ??= resolvePython(config.python));
  const checks: Check[] = [
    {
      name: 'Node.js >= 20.11',
      run: () => {
        const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
        if (major < 20 || (major === 20 && minor < 11))
          throw new CheckFailed(`Node ${process.versions.node}`, 'install Node.js 20.11 or later');
        return Promise.resolve(`Node ${process.versions.node}`);
      },
    },
    {
      name: BWRAP,
      run: async () => {
        let bwrap: string;
        try {
          bwrap = await findBwrap();
        } catch (error) {
          throw new CheckFailed(errorMessage(error), 'apt-get install bubblewrap (or: make setup)');
        }
        const result = await runCommand(bwrap, ['--version'], { env: {}, timeoutMs: 5000 });
        return `${bwrap} (${result.stdout.trim() || 'unknown version'})`;
      },
    },
    {
      name: 'limits from start-up (prlimit)',
      run: async () => {
        const prlimit = await findPrlimit();
        if (prlimit === null)
          throw new CheckFailed(
            `${PRLIMIT} is missing: sandboxes would limit themselves only after Python's start-up, so a virtual environment's .pth files and sitecustomize would run unlimited`,
            'apt-get install util-linux',
          );
        return `${prlimit}: sandboxes start under their rlimits`;
      },
    },
    {
      name: USERNS,
      run: async () => {
        const knobs: Array<[string, (v: string) => boolean, string]> = [
          [
            '/proc/sys/kernel/unprivileged_userns_clone',
            (v) => v === '1',
            'sysctl -w kernel.unprivileged_userns_clone=1',
          ],
          [
            '/proc/sys/user/max_user_namespaces',
            (v) => Number(v) > 0,
            'sysctl -w user.max_user_namespaces=15000',
          ],
          [
            '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
            (v) => v === '0',
            'allow bwrap in AppArmor (Ubuntu 24.04+: an apparmor profile for /usr/bin/bwrap with "userns,"), or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
          ],
        ];
        for (const [file, ok, fix] of knobs) {
          let value: string;
          try {
            value = (await readFile(file, 'utf8')).trim();
          } catch {
            continue; // the knob does not exist on this kernel
          }
          if (!ok(value)) throw new CheckFailed(`${file} is ${value}`, fix);
        }
        return 'enabled';
      },
    },
    {
      name: PYTHON,
      run: async () => {
        try {
          const { executable, version } = await python();
          return `${executable} (Python ${version})`;
        } catch (error) {
          throw new CheckFailed(
            errorMessage(error),
            'apt-get install python3, or pass --python /path/to/python3',
          );
        }
      },
    },
    {
      name: 'Python environment',
      needs: [PYTHON],
      run: async () => {
        let factory;
        try {
          factory = await createSandboxFactory(config, createLogger('silent'), {
            workspaceIsDefault,
          });
        } catch (error) {
          throw new CheckFailed(
            errorMessage(error),
            'fix or recreate the virtual environment (python3 -m venv), choose one with --venv DIR, or run without one with --no-venv',
          );
        }
        const { environment, skippedVenvs } = factory;
        const packages = await listInstalledPackages(environment);
        return [
          describeEnvironment(environment),
          `interpreter ${environment.interpreter}, ${packages.length} importable package${packages.length === 1 ? '' : 's'} (list_packages names them)`,
          ...skippedVenvs.map((note) => `passed over: ${note}`),
          config.venv === false
            ? 'no virtual environment looked for (--no-venv)'
            : 'looked for: --venv, a --python inside a venv (a base --python means none), $VIRTUAL_ENV, then .venv/ or venv/ in the workspace',
        ].join('\n      ');
      },
    },
    {
      name: 'sandbox starts and runs code',
      needs: [BWRAP, USERNS, PYTHON],
      run: async () => {
        let runtime;
        try {
          runtime = await createRuntime(config, createLogger('error'), {
            workspaceIsDefault,
            withLsp: false,
          });
        } catch (error) {
          throw new CheckFailed(
            errorMessage(error),
            'fix the checks above first; then run with --log-level debug',
          );
        }
        try {
          const { outcome } = await runtime.executor.run({
            code: PROBE,
            globals: null,
            owner: 'doctor',
          });
          if (outcome.kind !== 'completed' || outcome.returnValue === null) {
            throw new CheckFailed(
              `the probe ended with ${outcome.kind}`,
              'run with --log-level debug and report the output',
            );
          }
          const text = JSON.parse(outcome.returnValue.text) as string;
          if (!text.includes('network unreachable')) {
            throw new CheckFailed(
              `the sandbox can reach the network (${text})`,
              'this bubblewrap does not isolate the network; update it',
            );
          }
          const workspace = runtime.factory.spec.workspace;
          return `${text}, workspace ${workspace ?? 'none'}`;
        } finally {
          await runtime.close();
        }
      },
    },
    {
      name: SERVERS,
      needs: [PYTHON],
      run: async () => {
        const interpreter = await python();
        const sandboxIds = sandboxHostIds(config);
        const found = await Promise.all(
          LSP_KINDS.map(
            async (kind) => [kind, await locateServer(kind, interpreter, sandboxIds)] as const,
          ),
        );
        const lines = found.map(([kind, result]) =>
          result.available
            ? `${kind}: ${result.launch.describe}`
            : `${kind}: unavailable (${result.reason})`,
        );
        const selected = found.find(([kind]) => kind === config.lsp.server)?.[1];
        if (config.lsp.server !== 'off' && selected?.available !== true) {
          throw new CheckFailed(
            lines.join('; '),
            `install ${config.lsp.server}, or choose another with --lsp`,
          );
        }
        return lines.join('\n      ');
      },
    },
    {
      name: `${config.lsp.server} starts in the sandbox`,
      needs: [BWRAP, USERNS, PYTHON, SERVERS],
      run: async () => {
        if (config.lsp.server === 'off') return 'skipped (--lsp off)';
        const started = performance.now();
        const runtime = await createRuntime(config, createLogger('error'), { workspaceIsDefault });
        try {
          const state = await runtime.codeIntel();
          if ('unavailable' in state)
            throw new CheckFailed(state.unavailable, 'see the check above');
          await state.client.whenReady();
          const hover = await state.intel.hover({
            code: 'def f(x: int) -> str:\n    return str(x)\n',
            symbol: 'f',
          });
          if (hover === null || !hover.contents.includes('f(')) {
            throw new CheckFailed(
              'the server answered hover with nothing',
              'run with --log-level debug and report the output',
            );
          }
          return `ready and answering in ${Math.round(performance.now() - started)} ms`;
        } catch (error) {
          if (error instanceof CheckFailed) throw error;
          throw new CheckFailed(
            errorMessage(error),
            "run with --log-level debug to see the language server's output",
          );
        } finally {
          await runtime.close();
        }
      },
    },
  ];

  let failed = 0;
  const failedNames = new Set<string>();
  for (const check of checks) {
    // A failure is reported once, where it is: not again by every check that builds on it.
    const missing = (check.needs ?? []).filter((name) => failedNames.has(name));
    if (missing.length > 0) {
      failedNames.add(check.name);
      process.stdout.write(`skip  ${check.name}: needs ${missing.join(', ')}, which failed\n`);
      continue;
    }
    try {
      const detail = await check.run();
      process.stdout.write(`ok    ${check.name}: ${detail}\n`);
    } catch (error) {
      failed += 1;
      failedNames.add(check.name);
      process.stdout.write(`FAIL  ${check.name}: ${errorMessage(error)}\n`);
      if (error instanceof CheckFailed) process.stdout.write(`      fix: ${error.fix}\n`);
    }
  }
  process.stdout.write(failed === 0 ? 'All checks passed.\n' : `${failed} check(s) failed.\n`);
  return failed === 0 ? 0 : 1;
}
