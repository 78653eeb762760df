/** The command line's own errors, through the built CLI. */
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('the command line', () => {
  test('a mistyped command is named in one line, not read as an argument of serve', async () => {
    const result = await runCli(['anlyze', 'fibonacci']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'isolated-pymcp: unknown command "anlyze" (commands: serve, run, doctor, analyze, config; see --help)\n',
    );
    expect(result.stdout).toBe('');
  });

  test('help, --version and the default command are still understood', async () => {
    const help = await runCli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: isolated-pymcp \[options\] \[command\]/);
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // Options of the default command (serve) come first without naming it.
    const serveHelp = await runCli(['--lsp', 'off', '--help']);
    expect(serveHelp.code).toBe(0);
  });
});

describe('doctor', () => {
  test('reports a failed check once: the checks that build on it are skipped, not run and failed again', async () => {
    // A directory for --python: the interpreter check fails at once.
    const result = await runCli(['doctor', '--python', tmpdir()]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([
      expect.stringMatching(
        /^FAIL {2}Python interpreter: .*is a directory, not a Python interpreter/,
      ),
    ]);
    expect(lines.filter((line) => line.startsWith('skip'))).toEqual([
      'skip  Python environment: needs Python interpreter, which failed',
      'skip  sandbox starts and runs code: needs Python interpreter, which failed',
      'skip  language servers: needs Python interpreter, which failed',
      'skip  pyright starts in the sandbox: needs Python interpreter, language servers, which failed',
    ]);
    expect(lines.some((line) => line.startsWith('ok    bubblewrap: '))).toBe(true);
    expect(lines).toContain(
      'ok    limits from start-up (prlimit): /usr/bin/prlimit: sandboxes start under their rlimits',
    );
    expect(result.stdout).toMatch(/^1 check\(s\) failed\.$/m);
  });
});
