/** The run_python_code tool: mcp-run-python's interface, run in an isolated sandbox. */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import type { Config } from '../../shared/config.js';
import type { Executor } from '../../sandbox/executor.js';
import type { PythonEnvironment } from '../../shared/python-environment.js';
import { GLOBALS_BYTES } from '../request-limits.js';
import { RUN_OUTPUT_SHAPE, formatBytes, toToolResult } from '../run-result.js';

export interface RunToolDeps {
  config: Config;
  executor: Executor;
  /** The Python environment the sandboxes run (its version and venv are shown to the model). */
  environment: PythonEnvironment;
  /** The workspace mounted at /workspace, if any (only its presence is shown to the model). */
  hasWorkspace: boolean;
  owner: string;
}

export function registerRunPythonCode(tools: ToolRegistry, deps: RunToolDeps): void {
  const { limits } = deps.config;
  tools.register(
    'run_python_code',
    {
      title: 'Run Python code',
      description: describe(deps),
      inputSchema: {
        python_code: z
          .string()
          .describe('Python code to run')
          .refine(
            (code) => code.trim() !== '',
            'python_code is empty: pass the Python source to run',
          )
          .refine(
            (code) => code.isWellFormed(),
            'python_code is not valid Unicode (it holds a lone surrogate); send UTF-8 text',
          )
          .refine(
            (code) => Buffer.byteLength(code, 'utf8') <= limits.codeBytes,
            `python_code exceeds the ${formatBytes(limits.codeBytes)} limit`,
          ),
        global_variables: z
          .record(z.string(), z.unknown())
          .refine(
            (globals) => Buffer.byteLength(JSON.stringify(globals), 'utf8') <= GLOBALS_BYTES,
            `global_variables exceed the ${formatBytes(GLOBALS_BYTES)} limit (as JSON); pass large data another way, e.g. compute it in a session`,
          )
          .default({})
          .describe('Map of global variables in context when the code is executed'),
        session_id: z
          .string()
          .min(1)
          .max(128)
          .optional()
          .describe(
            'Run in this session (from create_session) so variables, imports and files in /tmp persist across calls. Omit for a fresh, stateless sandbox.',
          ),
        timeout_seconds: z
          .number()
          .positive()
          .max(limits.maxTimeoutSeconds)
          .optional()
          .describe(
            `Wall-clock limit for this call (default ${limits.timeoutSeconds}, at most ${limits.maxTimeoutSeconds}). On timeout the code is interrupted with KeyboardInterrupt and session state is kept.`,
          ),
      },
      outputSchema: RUN_OUTPUT_SHAPE,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async (args, extra) => {
      const token = extra._meta?.progressToken;
      let reports = 0;
      const result = await deps.executor.run({
        code: args.python_code,
        globals: Object.keys(args.global_variables).length === 0 ? null : args.global_variables,
        owner: deps.owner,
        sessionId: args.session_id,
        timeoutSeconds: args.timeout_seconds,
        signal: extra.signal,
        onQueued:
          token === undefined
            ? undefined
            : (state) => {
                reports += 1;
                extra
                  .sendNotification({
                    method: 'notifications/progress',
                    params: {
                      progressToken: token,
                      progress: reports,
                      message: `waiting for a free sandbox: ${state.running} calls running, ${state.queued} waiting (about ${state.ahead} ahead of this one)`,
                    },
                  })
                  .catch(() => undefined);
              },
      });
      return toToolResult(result, limits);
    },
  );
}

function describe(deps: RunToolDeps): string {
  const { limits } = deps.config;
  const workspace = deps.hasWorkspace
    ? 'The working directory is /workspace, a read-only view of the project (use sys.path.append(".") to import its modules). '
    : '';
  return [
    'Tool to execute Python code and return stdout, stderr, and return value.',
    '',
    'The code may be async, and the value on the last line will be returned as the return value.',
    '',
    `The code will be executed with Python ${deps.environment.version} in an isolated sandbox: no network, no access to the host's files or environment, and only the standard library and ${deps.environment.venv === null ? 'the system-installed packages' : "the packages of the project's virtual environment"} (list_packages shows them; no installs). ` +
      `${workspace}/tmp is a writable scratch directory (${formatBytes(limits.scratchBytes)}). ` +
      `Limits: ${limits.timeoutSeconds} s per call by default, ${formatBytes(limits.memoryBytes)} of memory, ${formatBytes(limits.outputBytes)} of output per stream.`,
    '',
    'Each call without session_id runs in a fresh sandbox. To keep variables between calls, call create_session and pass its session_id.',
  ].join('\n');
}
