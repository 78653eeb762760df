/** Command-line flags shared by serve and run, mapped onto the configuration schema. */
import { InvalidArgumentError, type Command } from 'commander';
import {
  ConfigError,
  LSP_KINDS,
  parseConfig,
  type Config,
  type ConfigIssue,
  type LspKind,
} from '../shared/config.js';
import { PymcpError } from '../shared/errors.js';
import { LOG_LEVELS, type LogLevel } from '../shared/log.js';

export interface SandboxFlags {
  workspace?: string | false;
  python?: string;
  venv?: string | false;
  timeout?: number;
  maxTimeout?: number;
  memoryMb?: number;
  cpuSeconds?: number;
  maxProcesses?: number;
  outputKb?: number;
  responseKb?: number;
  imageKb?: number;
  scratchMb?: number;
  poolSize?: number;
  maxConcurrent?: number;
  maxPerClient?: number;
  maxQueued?: number;
  maxSessions?: number;
  sessionIdle?: number;
  logLevel?: LogLevel;
  lsp?: LspKind | 'off';
  allowWrite?: boolean;
}

export function number(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new InvalidArgumentError('not a number');
  return parsed;
}

function lspKind(value: string): LspKind | 'off' {
  if (value !== 'off' && !(LSP_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${LSP_KINDS.join(', ')}, off`);
  }
  return value as LspKind | 'off';
}

function logLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

export function addSandboxOptions(command: Command): Command {
  return command
    .option(
      '--workspace <dir>',
      'directory mounted read-only at /workspace (default: the working directory)',
    )
    .option('--no-workspace', 'mount no workspace')
    .option(
      '--python <path>',
      'Python interpreter to run in the sandbox (default: /usr/bin/python3); one inside a venv means that venv',
    )
    .option(
      '--venv <dir>',
      'virtual environment to run, mounted read-only (default: $VIRTUAL_ENV, else .venv or venv in the workspace)',
    )
    .option('--no-venv', 'use no virtual environment, only the system site-packages')
    .option('--timeout <seconds>', 'default wall-clock timeout per call (30)', number)
    .option('--max-timeout <seconds>', 'largest timeout_seconds a client may ask for (300)', number)
    .option('--memory-mb <mb>', 'address-space limit per sandbox process (1024)', number)
    .option('--cpu-seconds <s>', 'CPU seconds per sandbox lifetime (300)', number)
    .option('--max-processes <n>', 'processes and threads per sandbox (64)', number)
    .option('--output-kb <kb>', 'captured bytes per output stream per call (1024)', number)
    .option(
      '--response-kb <kb>',
      'budget for one run_python_code result, text and structured content together (40)',
      number,
    )
    .option(
      '--image-kb <kb>',
      'budget for the images (PNG, as base64) of one run_python_code result, apart from --response-kb; 0: none (1024)',
      number,
    )
    .option(
      '--scratch-mb <mb>',
      'size of the writable /tmp in the sandbox (64; /dev/shm: at most 16)',
      number,
    )
    .option('--pool-size <n>', 'sandboxes kept pre-started (2)', number)
    .option('--max-concurrent <n>', 'calls running at once; more wait in a fair queue (8)', number)
    .option(
      '--max-per-client <n>',
      'calls one connection may run while other connections wait or run (--max-concurrent minus 1, at least 1)',
      number,
    )
    .option(
      '--max-queued <n>',
      'calls waiting for a slot, all connections, before "busy" errors (64)',
      number,
    )
    .option('--max-sessions <n>', 'sessions open at once (16)', number)
    .option('--session-idle <seconds>', 'close sessions idle this long (900)', number)
    .option(
      '--lsp <server>',
      `language server for the lsp_* tools: ${LSP_KINDS.join(', ')}, off (pyright)`,
      lspKind,
    )
    .option('--allow-write', 'let lsp_rename write files when called with apply: true')
    .option('--log-level <level>', `stderr log level: ${LOG_LEVELS.join(', ')} (info)`, logLevel);
}

const MiB = 1024 * 1024;

/**
 * Flags -> validated configuration. `workspaceIsDefault`: no --workspace flag was given.
 * `environment` is the server's own, read here once: only $VIRTUAL_ENV is taken from it.
 */
export function configFromFlags(
  flags: SandboxFlags,
  overrides: { poolSize?: number } = {},
  environment: Readonly<Record<string, string | undefined>> = process.env,
): {
  config: Config;
  workspaceIsDefault: boolean;
} {
  const workspaceIsDefault = flags.workspace === undefined;
  const workspace =
    flags.workspace === false
      ? null
      : typeof flags.workspace === 'string'
        ? flags.workspace
        : process.cwd();
  const limits = {
    ...(flags.timeout !== undefined && { timeoutSeconds: flags.timeout }),
    ...(flags.maxTimeout !== undefined && { maxTimeoutSeconds: flags.maxTimeout }),
    ...(flags.memoryMb !== undefined && { memoryBytes: Math.round(flags.memoryMb * MiB) }),
    ...(flags.cpuSeconds !== undefined && { cpuSeconds: flags.cpuSeconds }),
    ...(flags.maxProcesses !== undefined && { maxProcesses: flags.maxProcesses }),
    ...(flags.outputKb !== undefined && { outputBytes: Math.round(flags.outputKb * 1024) }),
    ...(flags.responseKb !== undefined && { responseBytes: Math.round(flags.responseKb * 1024) }),
    ...(flags.imageKb !== undefined && { imageBytes: Math.round(flags.imageKb * 1024) }),
    ...(flags.scratchMb !== undefined && { scratchBytes: Math.round(flags.scratchMb * MiB) }),
  };
  const config = withFlagNames(() =>
    parseConfig({
      python: flags.python,
      ...(flags.venv !== undefined && { venv: flags.venv }),
      ...(environment.VIRTUAL_ENV !== undefined &&
        environment.VIRTUAL_ENV !== '' && { virtualEnv: environment.VIRTUAL_ENV }),
      workspace,
      limits,
      ...(flags.poolSize !== undefined && { poolSize: flags.poolSize }),
      ...(overrides.poolSize !== undefined && { poolSize: overrides.poolSize }),
      ...(flags.maxConcurrent !== undefined && { maxConcurrentRuns: flags.maxConcurrent }),
      ...(flags.maxPerClient !== undefined && { maxRunsPerClient: flags.maxPerClient }),
      ...(flags.maxQueued !== undefined && { maxQueuedRuns: flags.maxQueued }),
      ...(flags.maxSessions !== undefined && { maxSessions: flags.maxSessions }),
      ...(flags.sessionIdle !== undefined && { sessionIdleSeconds: flags.sessionIdle }),
      ...(flags.logLevel !== undefined && { logLevel: flags.logLevel }),
      lsp: {
        ...(flags.lsp !== undefined && { server: flags.lsp }),
        ...(flags.allowWrite !== undefined && { allowWrite: flags.allowWrite }),
      },
    }),
  );
  return { config, workspaceIsDefault: workspaceIsDefault && workspace !== null };
}

/** Each configuration field the flags set: the flag, and how many schema units one flag unit is. */
const FLAGS: Record<string, { flag: string; scale: number }> = {
  python: { flag: '--python', scale: 1 },
  venv: { flag: '--venv', scale: 1 },
  workspace: { flag: '--workspace', scale: 1 },
  'limits.timeoutSeconds': { flag: '--timeout', scale: 1 },
  'limits.maxTimeoutSeconds': { flag: '--max-timeout', scale: 1 },
  'limits.memoryBytes': { flag: '--memory-mb', scale: MiB },
  'limits.cpuSeconds': { flag: '--cpu-seconds', scale: 1 },
  'limits.maxProcesses': { flag: '--max-processes', scale: 1 },
  'limits.outputBytes': { flag: '--output-kb', scale: 1024 },
  'limits.responseBytes': { flag: '--response-kb', scale: 1024 },
  'limits.imageBytes': { flag: '--image-kb', scale: 1024 },
  'limits.scratchBytes': { flag: '--scratch-mb', scale: MiB },
  poolSize: { flag: '--pool-size', scale: 1 },
  maxConcurrentRuns: { flag: '--max-concurrent', scale: 1 },
  maxQueuedRuns: { flag: '--max-queued', scale: 1 },
  maxRunsPerClient: { flag: '--max-per-client', scale: 1 },
  maxSessions: { flag: '--max-sessions', scale: 1 },
  sessionIdleSeconds: { flag: '--session-idle', scale: 1 },
};

/** Configuration errors worded in the flags a person typed, not the schema's field names. */
function withFlagNames(parse: () => Config): Config {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new PymcpError('config_invalid', error.issues.map(flagMessage).join('; '), {
      cause: error,
    });
  }
}

export function flagMessage(issue: ConfigIssue): string {
  const known = FLAGS[issue.path];
  if (known === undefined) return `invalid configuration: ${issue.path}: ${issue.message}`;
  const { flag, scale } = known;
  const units = (value: number): string => String(Math.round((value / scale) * 1000) / 1000);
  if (
    issue.path === 'limits.timeoutSeconds' &&
    issue.maximum !== undefined &&
    issue.message.includes('maximum timeout')
  ) {
    return `--timeout must not exceed --max-timeout (${units(issue.maximum)}); raise --max-timeout or lower --timeout`;
  }
  if (issue.integer === true) return `${flag} must be a whole number`;
  if (issue.minimum !== undefined) {
    return `${flag} must be ${issue.exclusive === true ? 'above' : 'at least'} ${units(issue.minimum)}`;
  }
  if (issue.maximum !== undefined) return `${flag} must be at most ${units(issue.maximum)}`;
  return `${flag}: ${issue.message}`;
}
