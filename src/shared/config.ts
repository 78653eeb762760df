/**
 * Server configuration: parsed once at start-up, then passed inward as a typed, frozen value.
 * Every limit has a safe default; the CLI maps its flags onto this schema.
 */
import { z } from 'zod';
import { PymcpError } from './errors.js';
import { LOG_LEVELS } from './log.js';

const MiB = 1024 * 1024;

export const LimitsSchema = z.object({
  /** Default wall-clock timeout of one run. */
  timeoutSeconds: z.number().positive().max(3600).default(30),
  /** Largest timeout a client may ask for with `timeout_seconds`. */
  maxTimeoutSeconds: z.number().positive().max(3600).default(300),
  /** After an interrupt, how long the code gets to stop before the sandbox is killed. */
  interruptGraceMs: z.number().int().min(0).max(60_000).default(1500),
  /** Address space of each process in the sandbox (RLIMIT_AS). */
  memoryBytes: z
    .number()
    .int()
    .min(64 * MiB)
    .default(1024 * MiB),
  /** CPU seconds for the life of one sandbox: one fresh call, or a whole session (RLIMIT_CPU). */
  cpuSeconds: z.number().int().positive().default(300),
  /** Processes and threads inside one sandbox (RLIMIT_NPROC, counted per user namespace). */
  maxProcesses: z.number().int().min(4).max(4096).default(64),
  /** Largest file the code may write (RLIMIT_FSIZE). */
  fileSizeBytes: z
    .number()
    .int()
    .positive()
    .default(64 * MiB),
  /** Open file descriptors (RLIMIT_NOFILE). */
  openFiles: z.number().int().min(32).max(65536).default(256),
  /** Size of the writable scratch tmpfs at /tmp (and of /dev/shm). */
  scratchBytes: z
    .number()
    .int()
    .min(MiB)
    .default(64 * MiB),
  /** Captured bytes per output stream per run; the rest is dropped with a marker. */
  outputBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * MiB)
    .default(MiB),
  /**
   * Budget for everything one run_python_code result carries (text and structuredContent
   * together), sized for a model's context: Claude Code warns past ~10,000 tokens per result.
   */
  responseBytes: z
    .number()
    .int()
    .min(8 * 1024)
    .max(64 * MiB)
    .default(40 * 1024),
  /**
   * Budget for the images of one run_python_code result (PNG as base64), apart from
   * responseBytes: an image costs a model tokens by its pixels, not its bytes, and one small
   * plot is already ~30 KiB. 0 turns images off (they are described in the text only).
   */
  imageBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * MiB)
    .default(MiB),
  /** Rendered size of the returned value. */
  returnValueBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * MiB)
    .default(MiB),
  /** Largest accepted `python_code`, in UTF-8 bytes. */
  codeBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * MiB)
    .default(MiB),
});
export type Limits = z.infer<typeof LimitsSchema>;

export const LSP_KINDS = ['pyright', 'pylsp', 'basedpyright'] as const;
export type LspKind = (typeof LSP_KINDS)[number];

export const LspConfigSchema = z.object({
  /** Which language server backs the lsp_* tools; 'off' disables them. */
  server: z.enum([...LSP_KINDS, 'off']).default('pyright'),
  /** Whether lsp_rename may write files (with apply: true). */
  allowWrite: z.boolean().default(false),
  /** Per-request timeout; the request is cancelled ($/cancelRequest) when it passes. */
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(20_000),
  /** How long diagnostics wait for the server's report on the current content. */
  diagnosticsWaitMs: z.number().int().min(0).max(120_000).default(5_000),
  /** Largest workspace file the tools read. */
  maxFileBytes: z
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  /** Largest message accepted from the language server. */
  maxMessageBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(64 * 1024 * 1024),
});
export type LspConfig = z.infer<typeof LspConfigSchema>;

export const ConfigSchema = z.object({
  /** Python interpreter; resolved to the real binary (never a pyenv shim). In a venv: that venv. */
  python: z.string().min(1).optional(),
  /**
   * Virtual environment the sandboxes run (mounted read-only at its own path); false: none,
   * whatever discovery would find. Unset: --python's venv, else $VIRTUAL_ENV, else the
   * workspace's .venv or venv (shared/venv-discovery.ts).
   */
  venv: z.union([z.string().min(1), z.literal(false)]).optional(),
  /** $VIRTUAL_ENV of the server's own environment, read once at start-up. */
  virtualEnv: z.string().min(1).optional(),
  /** Directory mounted read-only at /workspace (the working directory of the code); null: none. */
  workspace: z.string().min(1).nullable().default(null),
  /** uid/gid the sandbox runs as on the host when the server runs as root. */
  sandboxUid: z.number().int().min(1).default(65534),
  sandboxGid: z.number().int().min(1).default(65534),
  limits: LimitsSchema.default(LimitsSchema.parse({})),
  /** Sandboxes kept started and idle, ready for the next fresh call or new session. */
  poolSize: z.number().int().min(0).max(32).default(2),
  /** Runs executing at once; more wait in a fair, bounded queue. */
  maxConcurrentRuns: z.number().int().min(1).max(256).default(8),
  /** Runs one connection may execute while others are active (default: all slots but one, min 1). */
  maxRunsPerClient: z.number().int().min(1).max(256).optional(),
  /** Runs waiting for a slot, all connections together; when full, the busiest connection gives way. */
  maxQueuedRuns: z.number().int().min(0).max(4096).default(64),
  /** Live sessions across all connections. */
  maxSessions: z.number().int().min(0).max(1024).default(16),
  /** A session unused this long is closed. */
  sessionIdleSeconds: z
    .number()
    .positive()
    .max(Math.floor((2 ** 31 - 1) / 1000)) // Node's timers fire at once past 2^31 - 1 ms
    .default(900),
  lsp: LspConfigSchema.default(LspConfigSchema.parse({})),
  logLevel: z.enum(LOG_LEVELS).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/**
 * The host ids sandboxes (and the language server's sandbox) run as: under root, the configured
 * unprivileged ones; otherwise the server's own (null: no switch).
 */
export function sandboxHostIds(config: Config): { uid: number; gid: number } | null {
  return process.getuid?.() === 0 ? { uid: config.sandboxUid, gid: config.sandboxGid } : null;
}

/** One problem with the configuration, by its path in the schema (e.g. 'limits.timeoutSeconds'). */
export interface ConfigIssue {
  path: string;
  message: string;
  /** For a number out of range: the bound it crossed, in the schema's units. */
  minimum?: number;
  /** The minimum itself is refused (a positive number: above 0). */
  exclusive?: boolean;
  maximum?: number;
  /** The value had to be a whole number. */
  integer?: boolean;
}

export class ConfigError extends PymcpError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      'config_invalid',
      `invalid configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
}

export function parseConfig(input: ConfigInput): Config {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        message: issue.message,
        ...(issue.code === 'too_small' && {
          minimum: Number(issue.minimum),
          exclusive: !issue.inclusive,
        }),
        ...(issue.code === 'too_big' && { maximum: Number(issue.maximum) }),
        ...(issue.code === 'invalid_type' && issue.expected === 'int' && { integer: true }),
      })),
    );
  }
  const { limits } = parsed.data;
  if (limits.timeoutSeconds > limits.maxTimeoutSeconds) {
    throw new ConfigError([
      {
        path: 'limits.timeoutSeconds',
        message: `the default timeout (${limits.timeoutSeconds}) exceeds the maximum timeout (${limits.maxTimeoutSeconds})`,
        maximum: limits.maxTimeoutSeconds,
      },
    ]);
  }
  return Object.freeze(parsed.data);
}
