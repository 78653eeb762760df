/** The command line's own errors, through the built CLI. */
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
