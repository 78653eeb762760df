/**
 * The project's own virtual environment, in both sandboxes, through the built CLI and the SDK
 * client: a venv made with `python3 -m venv` holding a package the system does not have. Code
 * imports it, list_packages and create_session name it, pyright and pylsp resolve into it;
 * without the venv the import fails and pyright reports it unresolved.
 */
import { chmod, mkdir, mkdtemp, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, structured, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';
import { makeVenv, TINYPKG_VERSION, type TestVenv } from '../helpers/venv.js';

const SLOW = 60_000;

/** Line 3 calls greet, a function only the venv has. */
const APP = `from tinypkg import greet

message: str = greet("world")
`;

const IMPORT_PROBE =
  'import sys, tinypkg\n[tinypkg.greet("sandbox"), tinypkg.__file__, sys.prefix]';

/** lsp_definition of greet on app.py's line 3, which must succeed: the answer's text. */
async function definitionOfGreet(server: ServerUnderTest): Promise<string> {
  const result = await server.call('lsp_definition', { file: 'app.py', line: 3, symbol: 'greet' });
  expect(result.isError ?? false, textOf(result)).toBe(false);
  return textOf(result);
}

let workspace: string;
let venv: TestVenv;

beforeAll(async () => {
  // Readable by all: under root the sandboxes run as uid 65534.
  workspace = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-venv-e2e-')));
  await chmod(workspace, 0o755);
  await writeFile(path.join(workspace, 'app.py'), APP, { mode: 0o644 });
  venv = await makeVenv(path.join(workspace, '.venv'));
}, SLOW);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('a workspace with a .venv, with pyright', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--workspace', workspace, '--lsp', 'pyright']);
  }, SLOW);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('run_python_code imports the package installed in the venv, with the venv as sys.prefix', async () => {
    const result = await server.run(IMPORT_PROBE);
    expect(result.isError ?? false, textOf(result)).toBe(false);
    expect(structured(result).return_value).toEqual([
      'hello, sandbox',
      path.join(venv.sitePackages, 'tinypkg', '__init__.py'),
      venv.root,
    ]);
  });

  test('list_packages names it with its version, filtered by name and paged', async () => {
    const result = await server.call('list_packages', { name: 'TINY' });
    expect(result.isError ?? false, textOf(result)).toBe(false);
    expect(result.structuredContent).toMatchObject({
      environment: {
        venv: venv.root,
        venv_source: 'workspace',
        include_system_site_packages: false,
      },
      total: 1,
      items: [{ name: 'tinypkg', version: TINYPKG_VERSION, location: venv.sitePackages }],
    });
    expect(textOf(result)).toContain(`tinypkg ${TINYPKG_VERSION}`);
    expect(textOf(result)).toContain(venv.root);
    const none = await server.call('list_packages', { name: 'numpy' });
    expect(none.structuredContent).toMatchObject({ total: 0 });
    const paged = await server.call('list_packages', { limit: 1, offset: 5 });
    expect(paged.structuredContent).toMatchObject({ offset: 5, returned: 0 });
  });

  test("create_session's answer names the environment", async () => {
    const created = await server.call('create_session', {});
    expect(textOf(created)).toContain(`virtual environment ${venv.root}`);
    expect(created.structuredContent).toMatchObject({
      environment: { venv: venv.root, venv_source: 'workspace' },
    });
    const id = (created.structuredContent as { session_id: string }).session_id;
    const imported = await server.run('import tinypkg\ntinypkg.greet("session")', {
      session_id: id,
    });
    expect(structured(imported).return_value).toBe('hello, session');
    await server.call('close_session', { session_id: id });
  });

  test(
    'diagnostics have no unresolved import for the venv package',
    async () => {
      const result = await server.call('lsp_diagnostics', { file: 'app.py' });
      expect(result.isError ?? false, textOf(result)).toBe(false);
      expect(textOf(result)).not.toMatch(/could not be resolved/);
      expect(result.structuredContent).toMatchObject({ known: true, total: 0 });
    },
    SLOW,
  );

  test(
    'lsp_hover reaches into the venv: signature and docstring',
    async () => {
      const result = await server.call('lsp_hover', { file: 'app.py', line: 3, symbol: 'greet' });
      expect(result.isError ?? false, textOf(result)).toBe(false);
      expect(textOf(result)).toContain('(name: str) -> str');
      expect(textOf(result)).toContain('Return a greeting for name.');
    },
    SLOW,
  );

  test(
    'lsp_definition lands in the venv site-packages',
    async () => {
      expect(await definitionOfGreet(server)).toContain(
        `${path.join(venv.sitePackages, 'tinypkg', '__init__.py')}:4:5`,
      );
    },
    SLOW,
  );
});

/**
 * A venv whose start-up code (sitecustomize) refuses to run without a memory and a CPU limit:
 * the language servers' own sandbox has neither (node reserves its address space in
 * gigabytes), so they must run the venv's interpreter through the script that limits it, or
 * they cannot learn its sys.path and the import is unresolved.
 */
describe.each(['pyright', 'pylsp'])(
  "the language server runs a venv's interpreter under limits of its own (%s)",
  (kind) => {
    let limitedWs: string;
    let limitedVenv: TestVenv;
    let server: ServerUnderTest;
    beforeAll(async () => {
      limitedWs = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-venv-limited-')));
      await chmod(limitedWs, 0o755);
      await writeFile(path.join(limitedWs, 'app.py'), APP, { mode: 0o644 });
      limitedVenv = await makeVenv(path.join(limitedWs, '.venv'));
      await writeFile(
        path.join(limitedVenv.sitePackages, 'sitecustomize.py'),
        [
          'import resource',
          'for name in ("RLIMIT_AS", "RLIMIT_CPU"):',
          '    if resource.getrlimit(getattr(resource, name))[0] == resource.RLIM_INFINITY:',
          '        raise SystemExit(f"sitecustomize: {name} is unlimited")',
          '',
        ].join('\n'),
        { mode: 0o644 },
      );
      server = await startServer(['--workspace', limitedWs, '--lsp', kind]);
    }, SLOW);
    afterAll(async () => {
      expect(await server.close()).toEqual([]);
      await rm(limitedWs, { recursive: true, force: true });
    });

    test(
      'and still resolves into the venv',
      async () => {
        expect(await definitionOfGreet(server)).toContain(
          path.join(limitedVenv.sitePackages, 'tinypkg', '__init__.py'),
        );
      },
      SLOW,
    );
  },
);

describe('a workspace with a .venv, with pylsp', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--workspace', workspace, '--lsp', 'pylsp']);
  }, SLOW);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test(
    'lsp_definition lands in the venv site-packages (jedi runs the venv interpreter)',
    async () => {
      expect(await definitionOfGreet(server)).toContain(
        path.join(venv.sitePackages, 'tinypkg', '__init__.py'),
      );
    },
    SLOW,
  );

  test(
    'lsp_hover reaches into the venv',
    async () => {
      const result = await server.call('lsp_hover', { file: 'app.py', line: 3, symbol: 'greet' });
      expect(result.isError ?? false, textOf(result)).toBe(false);
      expect(textOf(result)).toContain('Return a greeting for name.');
    },
    SLOW,
  );
});

describe('the same workspace without the venv (--no-venv)', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--workspace', workspace, '--no-venv', '--lsp', 'pyright']);
  }, SLOW);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('the import fails', async () => {
    const result = await server.run('import tinypkg');
    expect(result.isError).toBe(true);
    expect(structured(result).error).toMatchObject({ type: 'ModuleNotFoundError' });
  });

  test(
    'pyright reports the import unresolved',
    async () => {
      const result = await server.call('lsp_diagnostics', { file: 'app.py' });
      expect(textOf(result)).toMatch(/app\.py:1:6 error: Import "tinypkg" could not be resolved/);
    },
    SLOW,
  );

  test('list_packages shows the system environment, without the package', async () => {
    const result = await server.call('list_packages', { name: 'tinypkg' });
    expect(result.structuredContent).toMatchObject({
      environment: { venv: null, venv_source: null },
      total: 0,
    });
  });
});

describe('how the venv is found (run, one fresh sandbox each)', () => {
  let outside: string;
  let other: TestVenv;
  beforeAll(async () => {
    outside = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-venv-outside-')));
    await chmod(outside, 0o755);
    other = await makeVenv(path.join(outside, 'env'));
  }, SLOW);
  afterAll(async () => {
    await rm(outside, { recursive: true, force: true });
  });

  const prefixOf = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const result = await runCli(
      ['run', '--json', '--lsp', 'off', ...args, '-c', 'import sys, tinypkg\nsys.prefix'],
      { env },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { return_value: string }).return_value;
  };

  test(
    '--venv DIR wins over the workspace .venv',
    async () => {
      expect(await prefixOf(['--workspace', workspace, '--venv', other.root])).toBe(other.root);
    },
    SLOW,
  );

  test(
    'a --python inside a venv means that venv',
    async () => {
      expect(await prefixOf(['--workspace', workspace, '--python', other.python])).toBe(other.root);
    },
    SLOW,
  );

  test(
    '$VIRTUAL_ENV of the server comes before the workspace .venv',
    async () => {
      expect(await prefixOf(['--workspace', workspace], { VIRTUAL_ENV: other.root })).toBe(
        other.root,
      );
    },
    SLOW,
  );

  test(
    'the workspace .venv is found without any flag',
    async () => {
      expect(await prefixOf(['--workspace', workspace])).toBe(venv.root);
    },
    SLOW,
  );

  test(
    'doctor shows the environment, its interpreter and how many packages it holds',
    async () => {
      const result = await runCli(['doctor', '--lsp', 'off', '--workspace', workspace]);
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(
        new RegExp(
          `ok +Python environment: virtual environment ${venv.root} \\(found in the workspace\\)`,
        ),
      );
      expect(result.stdout).toContain(`interpreter ${venv.python}, 1 importable package`);
      const system = await runCli([
        'doctor',
        '--lsp',
        'off',
        '--workspace',
        workspace,
        '--no-venv',
      ]);
      expect(system.stdout).toMatch(
        /ok +Python environment: system Python 3\.[\d.]+ \(.*\), no virtual environment/,
      );
      expect(system.stdout).toContain('no virtual environment looked for (--no-venv)');
    },
    SLOW,
  );

  test(
    '--venv naming a directory that is no venv is a configuration error',
    async () => {
      const result = await runCli(['run', '--venv', outside, '-c', '1']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/--venv .*not a virtual environment \(no pyvenv\.cfg\)/);
    },
    SLOW,
  );
});

describe('a .venv swapped for a symbolic link while the server runs', () => {
  let ws: string;
  let outside: string;
  let server: ServerUnderTest;
  beforeAll(async () => {
    ws = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-venv-swap-')));
    outside = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-venv-secret-')));
    await chmod(ws, 0o755);
    await chmod(outside, 0o755);
    await writeFile(path.join(outside, 'canary.txt'), 'SECRET-CANARY', { mode: 0o644 });
    // Without the check the sandbox would start in it: it has an interpreter where the venv's was.
    await mkdir(path.join(outside, 'bin'), { mode: 0o755 });
    await symlink('/usr/bin/python3', path.join(outside, 'bin', 'python'));
    await makeVenv(path.join(ws, '.venv'));
    // No pool: every call starts its own sandbox, after the swap.
    server = await startServer(['--workspace', ws, '--pool-size', '0']);
  }, SLOW);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
    await rm(ws, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test(
    'the directory it now points to is never mounted; the call says the environment changed',
    async () => {
      expect(structured(await server.run('import tinypkg\ntinypkg.__name__')).return_value).toBe(
        'tinypkg',
      );
      await rename(path.join(ws, '.venv'), path.join(ws, '.venv-old'));
      await symlink(outside, path.join(ws, '.venv'));
      const read = await server.run(
        `open(${JSON.stringify(path.join(ws, '.venv', 'canary.txt'))}).read()`,
      );
      expect(JSON.stringify(read)).not.toContain('SECRET-CANARY');
      expect(read.isError).toBe(true);
      expect(textOf(read)).toMatch(/changed since start-up/);
    },
    SLOW,
  );
});
