/** The command line: argv -> typed options -> a command. The only place that exits the process. */
import { Command } from 'commander';
import { errorMessage, isPymcpError } from '../shared/errors.js';
import { SERVER_VERSION } from '../server/create-server.js';
import { doctorCommand } from './doctor.js';
import { addSandboxOptions, type SandboxFlags } from './options.js';
import { runCommand, type RunFlags } from './run.js';
import { serveCommand } from './serve.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('isolated-pymcp')
    .description('Run untrusted Python in a bubblewrap sandbox, over MCP or from the command line.')
    .version(SERVER_VERSION)
    .showHelpAfterError();
  let exitCode = 0;

  addSandboxOptions(
    program
      .command('serve', { isDefault: true })
      .description('serve MCP over stdio (the default command)'),
  ).action(async (flags: SandboxFlags) => {
    exitCode = await serveCommand(flags);
  });

  addSandboxOptions(
    program
      .command('run')
      .description('run a Python file (or -c CODE) in a fresh sandbox and print the result')
      .argument('[file]', 'Python file to run')
      .option('-c, --code <code>', 'Python code to run instead of a file')
      .option('--json', 'print the structured result as JSON'),
  ).action(async (file: string | undefined, flags: RunFlags) => {
    exitCode = await runCommand(file, flags);
  });

  addSandboxOptions(
    program
      .command('doctor')
      .description('check bubblewrap, user namespaces, Python and the sandbox; explain fixes'),
  ).action(async (flags: SandboxFlags) => {
    exitCode = await doctorCommand(flags);
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    process.stderr.write(
      `isolated-pymcp: ${isPymcpError(error) ? error.message : errorMessage(error)}\n`,
    );
    return 1;
  }
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`isolated-pymcp: fatal: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  },
);
