/**
 * Turns an ExecuteResult into the tool result: mcp-run-python's tagged text (so existing clients
 * and prompts keep working) plus structuredContent matching RUN_OUTPUT_SHAPE.
 */
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Limits } from '../shared/config.js';
import type { ExecuteResult } from '../sandbox/executor.js';
import { assertNever, sandboxSurvived, type RunOutcome } from '../sandbox/run-outcome.js';
import { outputTailBytes, type ReturnValue, type WorkerTable } from '../sandbox/worker-protocol.js';
import {
  clipSegments,
  clipText,
  jsonStringBytes,
  shareBudget,
  suffixBytes,
  utf8Bytes,
} from './response-budget.js';
import { mediaParts, tableRecords } from './run-media.js';

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
      'Value of the last expression: JSON when possible, else its repr() string; for a pandas DataFrame or Series, its first rows as JSON records; null if none (or an image)',
    ),
  return_value_kind: z.enum(['json', 'repr', 'table', 'none']),
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
  images: z
    .array(
      z.object({
        label: z.string(),
        width: z.number(),
        height: z.number(),
        bytes: z.number(),
        scaled: z.boolean(),
      }),
    )
    .describe('The PNG images attached to this result, in order: what each shows and its size'),
  images_omitted: z
    .number()
    .describe('Images the code made that were not attached (over a limit; the text says why)'),
  table: z
    .object({
      kind: z.enum(['DataFrame', 'Series']),
      rows: z.number(),
      columns: z.number(),
      column_names: z.array(z.string()),
      records_shown: z.number(),
    })
    .nullable()
    .describe('When the value is a pandas table: its shape, and how many rows return_value holds'),
  files: z
    .array(z.object({ path: z.string(), uri: z.string(), size: z.number() }))
    .describe(
      'Files this call wrote under /tmp/outputs in a session, as resources (download_file or resources/read)',
    ),
};

const MiB = 1024 * 1024;
/** A piece of text this small goes in both the text and structuredContent. */
export const DUPLICATE_BYTES = 4 * 1024;
/** A larger piece is shown in full (within the budget) once; the other place gets a preview. */
const PREVIEW_BYTES = 1024;
/** Room kept for the tags, the metadata in structuredContent and a notice. */
const RESERVE_BYTES = 2 * 1024;

type PyErrorText = { type: string; message: string; traceback: string };

/** Where the result is shown: what the budget is, and how a longer timeout is asked for. */
export interface Surface {
  responseBytes(limits: Limits): number;
  timeoutHint(limits: Limits): string;
}

export const MCP_SURFACE: Surface = {
  responseBytes: (limits) => limits.responseBytes,
  timeoutHint: (limits) => `pass a larger timeout_seconds (at most ${limits.maxTimeoutSeconds})`,
};

/**
 * The tool result for one run, within one budget (limits.responseBytes) for everything it
 * carries: a large piece of output, traceback or return value is sent once, head and tail kept
 * around a marker that says how much was dropped; the other place gets a short preview.
 */
export function toToolResult(
  result: ExecuteResult,
  limits: Limits,
  surface: Surface = MCP_SURFACE,
): CallToolResult {
  const { outcome } = result;
  const budget = surface.responseBytes(limits);
  // The output files' links get at most a quarter of the budget, so the code's own output and
  // value keep their room.
  const media = mediaParts(
    outcome.media,
    result.sessionId,
    limits.imageBytes,
    Math.floor(budget / 4),
  );
  const success = outcome.kind === 'completed';
  const returnValue = outcome.kind === 'completed' ? outcome.returnValue : null;
  const error = errorOf(outcome, limits, result.sessionId !== null, surface);
  const notice =
    result.notice === null ? null : clipText(result.notice, PREVIEW_BYTES, dropped).text;

  // structuredContent first: its copies are small, except a JSON return value, which is data.
  const streams = ([0, 1] as const).map((index) => streamCopy(outcome, index));
  const table = outcome.media?.table ?? null;
  const returnJson = structuredReturn(returnValue, budget, table);
  const errorCopy =
    error === null
      ? null
      : {
          type: error.type,
          message: clipText(error.message, PREVIEW_BYTES, dropped).text,
          traceback: duplicateOrPreview(error.traceback),
        };
  const structuredBytes =
    streams.reduce((sum, stream) => sum + jsonStringBytes(stream.text), 0) +
    (errorCopy === null
      ? 0
      : jsonStringBytes(errorCopy.message) + jsonStringBytes(errorCopy.traceback)) +
    returnJson.bytes;

  // The text: error, return value, the output's head and its tails share what is left, counted
  // as JSON-escaped bytes (coloured output or control characters escape to several bytes each).
  const returnText =
    returnValue === null ? null : returnTextOf(returnValue, returnJson, limits, table);
  const errorText = error === null ? '' : errorTextOf(error);
  const output = outputSegments(outcome);
  const pieces = [errorText, returnText?.text ?? '', output.head, output.tail];
  const renderText = (room: number): string => {
    const [errorRoom = 0, returnRoom = 0, headRoom = 0, tailRoom = 0] = shareBudget(
      pieces.map(jsonStringBytes),
      room,
    );
    const marker = (n: number): string =>
      `[... ${n} bytes of output dropped here; ${limitNote(limits)} ...]`;
    let outputText = fitText(output.head, headRoom, output.gap > 0 ? dropped : marker);
    if (output.gap > 0) {
      // Past a stream's cap the sandbox kept its last bytes: they follow the head in stream
      // order (stdout's, then stderr's), after a marker for what was dropped in between.
      // Only the end of the tails matters (their start is wherever the sandbox's buffer began).
      const tail = suffixBytes(output.tail, rawRoom(output.tail, tailRoom));
      const gap = output.gap + utf8Bytes(output.tail) - utf8Bytes(tail);
      outputText = [
        outputText.replace(/\n$/, ''),
        `[... ${gap} bytes of output dropped here; ${limitNote(limits)}; the last bytes of each stream follow ...]`,
        tail,
      ]
        .filter((part) => part !== '')
        .join('\n');
    }
    if (outputText.endsWith('\n')) outputText = outputText.slice(0, -1);
    const lines = [`<status>${success ? 'success' : 'run-error'}</status>`];
    if (outputText !== '') lines.push('<output>', escapeClosing(outputText, 'output'), '</output>');
    if (success && returnText !== null) {
      const shown = fitText(returnText.text, returnRoom, dropped) + returnText.suffix;
      lines.push('<return_value>', escapeClosing(shown, 'return_value'), '</return_value>');
    }
    if (error !== null) {
      const shown = fitText(errorText, errorRoom, dropped);
      lines.push('<error>', escapeClosing(shown, 'error'), '</error>');
    }
    if (media.sections !== '') lines.push(media.sections);
    if (notice !== null) lines.push('<notice>', escapeClosing(notice, 'notice'), '</notice>');
    return lines.join('\n');
  };

  const [stdout, stderr] = streams;
  const structured = {
    status: outcome.kind,
    stdout: stdout?.text ?? '',
    stderr: stderr?.text ?? '',
    return_value: returnJson.value,
    return_value_kind: returnValue?.kind ?? 'none',
    error: errorCopy,
    truncated: {
      stdout: (stdout?.cut ?? false) || outcome.output.droppedBytes[0] > 0,
      stderr: (stderr?.cut ?? false) || outcome.output.droppedBytes[1] > 0,
      return_value: (returnValue?.truncated ?? false) || returnJson.cut,
    },
    duration_ms: Math.round(outcome.durationMs * 100) / 100,
    session_id: result.sessionId,
    state_kept: sandboxSurvived(outcome),
    notice,
    images: media.imageInfo,
    images_omitted: media.imagesOmitted,
    table:
      table === null || returnValue?.kind !== 'table'
        ? null
        : {
            kind: table.kind,
            rows: table.rows,
            columns: table.columns,
            // Security: names the worker sends (up to 1000, escaped) share the budget too.
            column_names: namesWithin(table.column_names, budget / 8),
            records_shown: returnJson.shown,
          },
    files: media.files,
  } satisfies { [K in keyof typeof RUN_OUTPUT_SHAPE]: unknown };

  // The sections and the links are small and bounded (run-media.ts); the text fits around them.
  const mediaBytes =
    jsonStringBytes(media.sections) +
    utf8Bytes(JSON.stringify(media.links)) +
    utf8Bytes(JSON.stringify(structured.images)) +
    utf8Bytes(JSON.stringify(structured.files)) +
    utf8Bytes(JSON.stringify(structured.table));
  let room = budget - RESERVE_BYTES - structuredBytes - mediaBytes;
  for (let attempt = 0; ; attempt += 1) {
    const toolResult: CallToolResult = {
      content: [{ type: 'text', text: renderText(room) }, ...media.links],
      structuredContent: structured,
      // As <status>: an error when the code did not complete. Long output is not an error; the
      // markers and `truncated` say what was left out.
      isError: !success,
    };
    // Images have a budget of their own (limits.imageBytes), so they join after the measure.
    const size = utf8Bytes(JSON.stringify(toolResult));
    if (size <= budget || attempt === 3 || room <= 0) {
      if (media.images.length > 0) {
        const [text, ...links] = toolResult.content;
        toolResult.content = [...(text === undefined ? [] : [text]), ...media.images, ...links];
      }
      return toolResult;
    }
    // Escaping of what was cut differs from the whole piece's average: shrink in proportion.
    room = Math.floor(room * Math.min(0.97, budget / size)) - 64;
  }
}

/** `text` clipped so that its JSON-escaped form takes about `room` bytes. */
function fitText(text: string, room: number, marker: (dropped: number) => string): string {
  return text === '' ? '' : clipText(text, rawRoom(text, room), marker).text;
}

/** UTF-8 bytes of `text` that take about `room` bytes once JSON-escaped. */
function rawRoom(text: string, room: number): number {
  return Math.floor((room * utf8Bytes(text)) / Math.max(1, jsonStringBytes(text)));
}

function dropped(bytes: number): string {
  return `[... ${bytes} bytes dropped here ...]`;
}

function limitNote(limits: Limits): string {
  return `a response holds at most ${formatBytes(limits.responseBytes)} and each stream ${formatBytes(limits.outputBytes)} plus its last ${formatBytes(outputTailBytes(limits))}; write large output to a file in /tmp and print what matters`;
}

/** One stream as written: its head (in order), the bytes dropped, its tail. */
function streamSegments(outcome: RunOutcome, index: 0 | 1) {
  const head = outcome.output.chunks
    .filter(([stream]) => stream === index)
    .map(([, text]) => text)
    .join('');
  return { head, gap: outcome.output.droppedBytes[index], tail: outcome.output.tails[index] };
}

/** stdout and stderr interleaved as written, then each stream's tail past its cap. */
function outputSegments(outcome: RunOutcome) {
  const head = outcome.output.chunks.map(([, chunk]) => chunk).join('');
  const [out, err] = outcome.output.tails;
  const [gapOut, gapErr] = outcome.output.droppedBytes;
  return { head, gap: gapOut + gapErr, tail: out + err };
}

/** structuredContent's copy of a stream: whole when small, else a preview (the text has it). */
function streamCopy(outcome: RunOutcome, index: 0 | 1): { text: string; cut: boolean } {
  const { head, gap, tail } = streamSegments(outcome, index);
  const whole = head + tail;
  if (gap === 0 && jsonStringBytes(whole) <= DUPLICATE_BYTES) return { text: whole, cut: false };
  // Sized so that the preview takes about PREVIEW_BYTES once escaped.
  const clipped = clipSegments(head, gap, tail, rawRoom(whole, PREVIEW_BYTES), seeText);
  return { text: clipped.text, cut: clipped.droppedBytes > 0 };
}

function duplicateOrPreview(text: string): string {
  return jsonStringBytes(text) <= DUPLICATE_BYTES ? text : fitText(text, PREVIEW_BYTES, seeText);
}

function seeText(bytes: number): string {
  return `[... ${bytes} bytes dropped here; the text content shows more ...]`;
}

/**
 * structuredContent's return_value: JSON values are data, kept whole when they fit half the
 * budget; a repr() string is text, previewed when large (the text shows it).
 */
function structuredReturn(
  value: ReturnValue | null,
  budget: number,
  table: WorkerTable | null,
): { value: unknown; bytes: number; cut: boolean; whole: boolean; shown: number } {
  if (value === null) return { value: null, bytes: 0, cut: false, whole: false, shown: 0 };
  if (value.kind === 'table') {
    // A table's data: its first rows as JSON records, as many as fit half the budget.
    const fitted =
      table === null ? { records: null, shown: 0, bytes: 0 } : tableRecords(table, budget / 2);
    return {
      value: fitted.records,
      bytes: fitted.bytes,
      cut: table === null || fitted.shown < table.rows,
      whole: false,
      shown: fitted.shown,
    };
  }
  const bytes = utf8Bytes(value.text);
  if (value.kind === 'json') {
    if (bytes <= budget / 2)
      return { value: parseJson(value.text), bytes, cut: false, whole: true, shown: 0 };
    return { value: null, bytes: 0, cut: true, whole: false, shown: 0 };
  }
  const text = duplicateOrPreview(value.text);
  return {
    value: text,
    bytes: jsonStringBytes(text),
    cut: text !== value.text,
    whole: false,
    shown: 0,
  };
}

/** The first names whose JSON fits `room` bytes (the table's column count says how many in all). */
function namesWithin(names: readonly string[], room: number): string[] {
  const kept: string[] = [];
  let used = 2;
  for (const name of names) {
    used += utf8Bytes(JSON.stringify(name)) + 1;
    if (used > room) break;
    kept.push(name);
  }
  return kept;
}

/** The return value as the text shows it, and a note on what was cut. */
function returnTextOf(
  value: ReturnValue,
  json: { whole: boolean; shown: number },
  limits: Limits,
  table: WorkerTable | null,
): { text: string; suffix: string } {
  const bytes = utf8Bytes(value.text);
  if (value.kind === 'table' && table !== null) {
    const records =
      json.shown === 0
        ? 'no JSON records (the table cannot be written as records)'
        : `${json.shown === table.rows ? `all ${json.shown} rows` : `the first ${json.shown} of ${table.rows} rows`} as JSON records`;
    return { text: value.text, suffix: `\n[structuredContent.return_value holds ${records}]` };
  }
  if (value.truncated) {
    return {
      text: value.text,
      suffix: `\n[return value truncated at ${formatBytes(limits.returnValueBytes)}]`,
    };
  }
  // A large JSON value is whole in structuredContent: the text previews it, not twice.
  if (json.whole && bytes > DUPLICATE_BYTES) {
    return {
      text: clipText(value.text, PREVIEW_BYTES, dropped).text,
      suffix: `\n[the whole value (${bytes} bytes) is in structuredContent.return_value]`,
    };
  }
  return { text: value.text, suffix: '' };
}

function errorOf(
  outcome: RunOutcome,
  limits: Limits,
  inSession: boolean,
  surface: Surface,
): PyErrorText | null {
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
      const kept = !outcome.stateKept
        ? `it ignored the interrupt for ${limits.interruptGraceMs} ms and the sandbox was killed`
        : inSession
          ? "it was interrupted and the session's variables, imports and files were kept"
          : 'it was interrupted';
      return {
        type: 'TimeoutError',
        message: `the code ran past the ${outcome.timeoutSeconds} s timeout; ${kept}. Make it faster, or ${surface.timeoutHint(limits)}`,
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

function errorTextOf(error: PyErrorText): string {
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
