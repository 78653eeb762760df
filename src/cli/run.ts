/** `isolated-pymcp run FILE | -c CODE`: one run in a fresh sandbox, printed for people. */
import { createLogger } from '../shared/log.js';
import { PymcpError } from '../shared/errors.js';
import { createRuntime } from '../server/runtime.js';
import { toToolResult, type Surface } from '../server/run-result.js';
import { configFromFlags, type SandboxFlags } from './options.js';
import { readPythonSource } from './python-source.js';

export interface RunFlags extends SandboxFlags {
  code?: string;
  json?: boolean;
}

/** A terminal shows everything the sandbox captured; a longer timeout is a flag. */
const CLI_SURFACE: Surface = {
  responseBytes: (limits) => 4 * (limits.outputBytes + limits.returnValueBytes),
  timeoutHint: (limits) =>
    `pass a larger --timeout (at most ${limits.maxTimeoutSeconds}; --max-timeout raises that)`,
};

export async function runCommand(file: string | undefined, flags: RunFlags): Promise<number> {
  if (file === undefined && flags.code === undefined) {
    throw new PymcpError('input_invalid', 'nothing to run: pass a FILE or -c CODE');
  }
  if (file !== undefined && flags.code !== undefined) {
    throw new PymcpError('input_invalid', 'pass a FILE or -c CODE, not both');
  }
  // One call: start exactly one sandbox, no pool.
  const { config, workspaceIsDefault } = configFromFlags(flags, { poolSize: 0 });
  // -c cannot exceed it: Linux caps one argument at 128 KiB.
  const code = flags.code ?? (await readPythonSource(file ?? '', config.limits.codeBytes));
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const runtime = await createRuntime(config, logger, { workspaceIsDefault, withLsp: false });
  try {
    const result = await runtime.executor.run({ code, globals: null, owner: 'cli' });
    const tool = toToolResult(result, config.limits, CLI_SURFACE);
    if (flags.json) {
      process.stdout.write(JSON.stringify(tool.structuredContent, null, 2) + '\n');
    } else {
      const first = tool.content[0];
      process.stdout.write((first?.type === 'text' ? first.text : '') + '\n');
    }
    return tool.isError ? 1 : 0;
  } finally {
    await runtime.close();
  }
}
