/**
 * Turns an ExecuteResult into the tool result: mcp-run-python's tagged text (so existing clients
 * and prompts keep working) plus structuredContent matching RUN_OUTPUT_SHAPE.
 */
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Limits } from '../shared/config.js';
import type { ExecuteResult } from '../sandbox/executor.js';
import { assertNever, sandboxSurvived, type RunOutcome } from '../sandbox/run-outcome.js';

export const RUN_STATUSES = [
  'completed',
  'raised',
  'memory_limit',
  'timed_out',
  'cancelled',
  'killed',
] as const;

export const RUN_OUTPUT_SHAPE = {
  status: z
    .enum(RUN_STATUSES)
    .describe(
      'completed, raised (an exception), memory_limit, timed_out, cancelled, or killed (the sandbox died)',
    ),
  stdout: z.string().describe('Captured standard output'),
  stderr: z.string().describe('Captured standard error'),
  return_value: z
    .unknown()
    .describe(
      'Value of the last expression: JSON when possible, else its repr() string; null if none',
    ),
  return_value_kind: z.enum(['json', 'repr', 'none']),
  error: z
    .object({ type: z.string(), message: z.string(), traceback: z.string() })
    .nullable()
    .describe('The exception or limit that stopped the code; traceback holds user frames only'),
  truncated: z.object({ stdout: z.boolean(), stderr: z.boolean(), return_value: z.boolean() }),
  duration_ms: z.number(),
  session_id: z.string().nullable(),
  state_kept: z
    .boolean()
    .describe("Whether the sandbox (and a session's variables) survived this call"),
  notice: z.string().nullable(),
};

const MiB = 1024 * 1024;

export function toToolResult(result: ExecuteResult, limits: Limits): CallToolResult {
  const { outcome } = result;
  const stdout = streamText(outcome, 0);
  const stderr = streamText(outcome, 1);
  const [droppedOut, droppedErr] = outcome.output.droppedBytes;
  const error = errorOf(outcome, limits);
  const returnValue = outcome.kind === 'completed' ? outcome.returnValue : null;
  const structured = {
    status: outcome.kind,
    stdout,
    stderr,
    return_value:
      returnValue === null
        ? null
        : returnValue.kind === 'json'
          ? parseJson(returnValue.text)
          : returnValue.text,
    return_value_kind: returnValue?.kind ?? 'none',
    error,
    truncated: {
      stdout: droppedOut > 0,
      stderr: droppedErr > 0,
      return_value: returnValue?.truncated ?? false,
    },
    duration_ms: Math.round(outcome.durationMs * 100) / 100,
    session_id: result.sessionId,
    state_kept: sandboxSurvived(outcome),
    notice: result.notice,
  } satisfies { [K in keyof typeof RUN_OUTPUT_SHAPE]: unknown };

  const success = outcome.kind === 'completed';
  const lines = [`<status>${success ? 'success' : 'run-error'}</status>`];
  const output = outputText(outcome, limits);
  if (output !== '') lines.push('<output>', escapeClosing(output, 'output'), '</output>');
  if (success && returnValue !== null) {
    const suffix = returnValue.truncated
      ? `\n[return value truncated at ${formatBytes(limits.returnValueBytes)}]`
      : '';
    lines.push(
      '<return_value>',
      escapeClosing(returnValue.text + suffix, 'return_value'),
      '</return_value>',
    );
  }
  if (error !== null) lines.push('<error>', escapeClosing(errorText(error), 'error'), '</error>');
  if (result.notice !== null)
    lines.push('<notice>', escapeClosing(result.notice, 'notice'), '</notice>');
  const truncated = droppedOut > 0 || droppedErr > 0 || (returnValue?.truncated ?? false);
  return {
    content: [{ type: 'text', text: lines.join('\n') }],
    structuredContent: structured,
    isError: !success || truncated,
  };
}

function streamText(outcome: RunOutcome, stream: 0 | 1): string {
  return outcome.output.chunks
    .filter(([s]) => s === stream)
    .map(([, text]) => text)
    .join('');
}

/** stdout and stderr interleaved as written, with a marker where bytes were dropped. */
function outputText(outcome: RunOutcome, limits: Limits): string {
  let text = outcome.output.chunks.map(([, chunk]) => chunk).join('');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const markers = (['stdout', 'stderr'] as const).flatMap((name, index) => {
    const dropped = outcome.output.droppedBytes[index] ?? 0;
    return dropped > 0
      ? [
          `[${name} truncated: ${dropped} more bytes past the ${formatBytes(limits.outputBytes)} limit were dropped]`,
        ]
      : [];
  });
  return [text, ...markers].filter((part) => part !== '').join('\n');
}

function errorOf(
  outcome: RunOutcome,
  limits: Limits,
): { type: string; message: string; traceback: string } | null {
  switch (outcome.kind) {
    case 'completed':
      return null;
    case 'raised':
      return outcome.error;
    case 'memory_limit':
      return {
        ...outcome.error,
        message: `the code exceeded the sandbox memory limit of ${formatBytes(outcome.limitBytes)}; use less memory (smaller inputs, generators)`,
      };
    case 'timed_out': {
      const kept = outcome.stateKept
        ? 'it was interrupted and the sandbox (with any session state) was kept'
        : `it ignored the interrupt for ${limits.interruptGraceMs} ms and the sandbox was killed`;
      return {
        type: 'TimeoutError',
        message: `the code ran past the ${outcome.timeoutSeconds} s timeout; ${kept}. Make it faster, or pass a larger timeout_seconds (at most ${limits.maxTimeoutSeconds})`,
        traceback: outcome.error?.traceback ?? '',
      };
    }
    case 'cancelled':
      return {
        type: 'CancelledError',
        message: outcome.stateKept
          ? 'the client cancelled the call; the code was interrupted'
          : 'the client cancelled the call; the sandbox was killed',
        traceback: '',
      };
    case 'killed':
      return { type: 'SandboxKilled', message: outcome.reason, traceback: '' };
    default:
      return assertNever(outcome);
  }
}

function errorText(error: { type: string; message: string; traceback: string }): string {
  if (error.traceback === '') return `${error.type}: ${error.message}`;
  const tail =
    error.type === 'TimeoutError' || error.type === 'MemoryError'
      ? `\n${error.type}: ${error.message}`
      : '';
  return error.traceback.replace(/\n$/, '') + tail;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** As mcp-run-python: a closing (or opening) tag inside content cannot end the section early. */
export function escapeClosing(text: string, tag: string): string {
  return text.replace(new RegExp(`</?\\s*${tag}(?:.*?>)?`, 'gi'), (match) =>
    match.replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  );
}

export function formatBytes(bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
