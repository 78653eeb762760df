/** The command line: argv -> typed options -> a command. The only place that exits the process. */
import { Command, InvalidArgumentError } from 'commander';
import { errorMessage, isPymcpError } from '../shared/errors.js';
import { logLine, type LogFormat } from '../shared/log.js';
import { VERSION } from '../shared/version.js';
import { FORMATS, type Format } from '../analyze/formats.js';
import type { AnalyzeFlags } from './analyze.js';
import { ignoreClosedReaders } from './broken-pipe.js';
import { addConfigOptions, type ClientId, type ConfigFlags } from './config-options.js';
import { addHttpOptions } from './http-options.js';
import { addSandboxOptions, number, type SandboxFlags } from './options.js';
import { addServiceOptions } from './service-options.js';
import type { RunFlags } from './run.js';
import type { ServeFlags } from './serve.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function format(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  }
  return value as Format;
}

export async function main(argv: readonly string[]): Promise<number> {
  ignoreClosedReaders([process.stdout, process.stderr]);
  const program = new Command()
    .name('isolated-pymcp')
    .description('Run untrusted Python in a bubblewrap sandbox, over MCP or from the command line.')
    .version(VERSION)
    .showHelpAfterError();
  let exitCode = 0;
  /** How a failure is written: as the log lines are, so that a JSON log stays JSON. */
  let errorFormat = 'text' as LogFormat;

  addSandboxOptions(
    addServiceOptions(
      addHttpOptions(
        program
          .command('serve', { isDefault: true })
          .description('serve MCP over stdio (the default command), or over HTTP with --http'),
      ),
    ),
  ).action(async (flags: ServeFlags) => {
    errorFormat = flags.logFormat ?? 'text';
    // Each command loads only its own modules: start-up time is a feature.
    const { serveCommand } = await import('./serve.js');
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
    const { runCommand } = await import('./run.js');
    exitCode = await runCommand(file, flags);
  });

  addSandboxOptions(
    program
      .command('doctor')
      .description('check bubblewrap, user namespaces, Python and the sandbox; explain fixes'),
  ).action(async (flags: SandboxFlags) => {
    const { doctorCommand } = await import('./doctor.js');
    exitCode = await doctorCommand(flags);
  });

  program
    .command('analyze')
    .description(
      'explore algorithms: run them, cross-check them, measure how their cost grows, read their types (a client of this server)',
    )
    .argument(
      '[algorithms...]',
      'bundled algorithms (see --list) or Python files; several are compared on one chart',
    )
    .option('--list', 'list the bundled algorithms')
    .option(
      '--impl <name>',
      'a function to analyse (repeat for several; FILE_STEM.name picks one file)',
      collect,
      [],
    )
    .option(
      '--input <expr>',
      'arguments for size n: a preset (int, random_ints, sorted_ints, distinct_ints, random_string, random_floats) or a Python expression of n and rng; a tuple is the argument list',
    )
    .option('--sizes <list>', 'sizes: comma-separated (10,100,1000) or a ladder A..B')
    .option('--reference <name>', 'the implementation the others are checked against')
    .option('--seed <n>', 'seed of the inputs and of the bootstrap', number, 0)
    .option('--inputs <k>', 'seeded inputs per size', number, 5)
    .option('--format <format>', `report format: ${FORMATS.join(', ')}`, format, 'text' as Format)
    .option('--out <file>', 'write the report to a file instead of stdout (needed for html)')
    .option('--html <file>', 'also write the HTML page (charts and tables) to this file')
    .option('--csv <file>', 'also write every timed repeat to this CSV file')
    .option('--budget <seconds>', 'measuring time per implementation', number, 3)
    .option('--lsp <server>', 'language server: pyright, pylsp, basedpyright, off')
    .option('--url <url>', 'use a running `serve --http` server (e.g. http://127.0.0.1:8765/mcp)')
    .option('--token-file <file>', 'bearer token for --url (default: $ISOLATED_PYMCP_TOKEN)')
    .action(async (algorithms: string[], flags: AnalyzeFlags) => {
      const { analyzeCommand } = await import('./analyze.js');
      exitCode = await analyzeCommand(algorithms, flags);
    });

  addConfigOptions(
    program
      .command('config')
      .description(
        'print the configuration that adds this server to an MCP client, or merge it into the client file with --write',
      ),
  ).action(async (client: ClientId, serveFlags: string[], flags: ConfigFlags) => {
    const { configCommand } = await import('./config.js');
    exitCode = await configCommand(client, serveFlags, flags);
  });

  try {
    // serve is the default command and takes no arguments: commander would read a mistyped
    // command as one, and answer with serve's whole help.
    const first = argv[0];
    const commands = program.commands.map((command) => command.name());
    if (first !== undefined && !first.startsWith('-') && ![...commands, 'help'].includes(first)) {
      throw new InvalidArgumentError(
        `unknown command "${first.slice(0, 100)}" (commands: ${commands.join(', ')}; see --help)`,
      );
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    const message = isPymcpError(error) ? error.message : errorMessage(error);
    process.stderr.write(
      errorFormat === 'json' ? logLine('json', 'error', message) : `isolated-pymcp: ${message}\n`,
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
