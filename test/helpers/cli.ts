/** Run the built CLI (or any program) to completion (bounded), capturing its output. */
import { execFile } from 'node:child_process';
import { BIN, ROOT } from './mcp-client.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `command` with exactly `env` (nothing of the test runner's own), killed after `timeoutMs`. */
export function runProgram(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function runCli(
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return runProgram(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    timeoutMs: options.timeoutMs,
  });
}
