/**
 * lsp_hover (the file asked about) and lsp_definition (the file an answer points into, whose
 * source line is shown) through the built CLI while a workspace directory is swapped with a
 * symlink to an outside directory holding a file of the same name, as fast as a separate
 * process can: no answer may contain the outside file. Bounded: 300 calls each, 8 at a time.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFlipping, type Flipper } from '../helpers/flipper.js';
import { startServer, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';
import { isAlive } from '../helpers/processes.js';

const CANARY = 'CANARY_OUTSIDE_THE_WORKSPACE';
/** Its definition of inside_value is in pkg/secret.py, line 1: the line an answer shows. */
const MAIN = 'from pkg.secret import inside_value\n\nprint(inside_value)\n';
const CALLS = 300;
const AT_ONCE = 8;

describe('lsp_hover on a directory swapped for a symlink to outside the workspace', () => {
  let base: string;
  let server: ServerUnderTest;
  beforeAll(async () => {
    // The language server runs as another uid (65534 under root): everything world-readable.
    base = await mkdtemp(path.join(tmpdir(), 'pymcp-race-e2e-'));
    await chmod(base, 0o755);
    for (const dir of ['ws/dir', 'ws/pkg', 'outside']) {
      await mkdir(path.join(base, dir), { recursive: true, mode: 0o755 });
    }
    await writeFile(path.join(base, 'ws/dir/secret.py'), 'inside_value = 1\n', { mode: 0o644 });
    await writeFile(path.join(base, 'outside/secret.py'), `${CANARY} = 1\n`, { mode: 0o644 });
    // A directory of its own for lsp_definition: the hover race leaves the server's view of dir/
    // to whatever it saw last.
    await writeFile(path.join(base, 'ws/pkg/secret.py'), 'inside_value = 1\n', { mode: 0o644 });
    await writeFile(path.join(base, 'ws/main.py'), MAIN, { mode: 0o644 });
    server = await startServer(['--workspace', path.join(base, 'ws'), '--lsp', 'pyright']);
  }, 60_000);
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
    await rm(base, { recursive: true, force: true });
  });

  test('no answer contains the outside file', async () => {
    // Warm up: the first hover waits for the language server to start.
    const first = await server.call('lsp_hover', { file: 'dir/secret.py', line: 1, column: 1 });
    expect(textOf(first)).toContain('inside_value');
    await race('dir', 'lsp_hover', { file: 'dir/secret.py', line: 1, column: 1 });
  }, 120_000);

  test('no definition shows a source line of the outside file', async () => {
    const args = { file: 'main.py', line: 3, symbol: 'inside_value' };
    const first = await server.call('lsp_definition', args);
    expect(textOf(first)).toContain('pkg/secret.py:1:1  inside_value = 1');
    await race('pkg', 'lsp_definition', args);
  }, 120_000);

  /** Call `tool` while ws/`dir` flips: no leak, no unexpected error, and some answers. */
  async function race(dir: string, tool: string, args: Record<string, unknown>): Promise<void> {
    const flipper: Flipper = await startFlipping(
      path.join(base, 'ws', dir),
      path.join(base, 'outside'),
    );
    let leaks = 0;
    let answered = 0;
    let refused = 0;
    const other: string[] = [];
    let started = 0;
    const lane = async (): Promise<void> => {
      // On (up to 10x) until one answer came through: a loaded machine can starve the swapper.
      while (started < CALLS || (answered === 0 && started < CALLS * 10)) {
        started += 1;
        const result = await server.call(tool, args);
        const text = textOf(result);
        if (`${text}${JSON.stringify(result.structuredContent ?? null)}`.includes(CANARY)) {
          leaks += 1;
        } else if (result.isError !== true) {
          answered += 1;
        } else if (/path_denied/.test(text)) {
          refused += 1;
        } else {
          other.push(text);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: AT_ONCE }, lane));
    } finally {
      await flipper.stop();
    }
    const summary = `${leaks} leaks, ${answered} answered, ${refused} refused`;

    expect(isAlive(flipper.pid)).toBe(false);
    expect(leaks, summary).toBe(0);
    expect(other, summary).toEqual([]);
    // Not vacuous: answers still come through while the directory flips.
    expect(answered, summary).toBeGreaterThan(0);
  }
});
