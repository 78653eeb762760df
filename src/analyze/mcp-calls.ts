/**
 * The analysis's calls to the server's tools: run_python_code in a session (its structured
 * result reduced to ok/value/error), results read back page by page, and one short-lived abort
 * signal per call.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export interface RunValue {
  ok: boolean;
  value: unknown;
  error: string | null;
  status: string;
  /** The timeout the step ran under (its own, or the server's largest if that is lower). */
  timeoutSeconds: number;
}

/** The analysis's sandbox session, and the largest timeout_seconds its server accepts. */
export interface AnalysisSession {
  id: string;
  maxTimeoutSeconds: number;
}

export async function createSession(client: Client): Promise<AnalysisSession> {
  const created = await call(client, 'create_session', {});
  if (created.isError) throw new Error(`could not create a sandbox session: ${textOf(created)}`);
  const id = (created.structuredContent as { session_id: string }).session_id;
  return { id, maxTimeoutSeconds: await maxTimeoutOf(client) };
}

/**
 * The server refuses a timeout_seconds above its --max-timeout, which an operator may set below
 * the limits of the analysis's steps: its run_python_code schema states it.
 */
async function maxTimeoutOf(client: Client): Promise<number> {
  const { tools } = await client.listTools();
  const schema = tools.find((t) => t.name === 'run_python_code')?.inputSchema as
    { properties?: { timeout_seconds?: { maximum?: unknown } } } | undefined;
  const maximum = schema?.properties?.timeout_seconds?.maximum;
  return typeof maximum === 'number' && maximum > 0 ? maximum : Number.POSITIVE_INFINITY;
}

export async function run(
  client: Client,
  session: AnalysisSession,
  code: string,
  wantedSeconds: number,
  signal?: AbortSignal,
): Promise<RunValue> {
  const timeoutSeconds = Math.min(wantedSeconds, session.maxTimeoutSeconds);
  const result = await call(
    client,
    'run_python_code',
    { python_code: code, session_id: session.id, timeout_seconds: timeoutSeconds },
    signal,
  );
  const content = result.structuredContent as
    | {
        status: string;
        return_value: unknown;
        error: { type: string; message: string; traceback: string } | null;
      }
    | undefined;
  if (content === undefined)
    return { ok: false, value: null, error: textOf(result), status: 'error', timeoutSeconds };
  const ok = content.status === 'completed';
  const error = content.error
    ? content.error.traceback || `${content.error.type}: ${content.error.message}`
    : null;
  return {
    ok,
    value: content.return_value,
    error: ok ? null : (error ?? content.status),
    status: content.status,
    timeoutSeconds,
  };
}

export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<CallToolResult> {
  // One short-lived signal per call: the SDK keeps its abort listener on whatever signal it gets,
  // so sharing the caller's across dozens of calls would pile listeners up on it.
  const local = new AbortController();
  const forward = (): void => {
    local.abort(signal?.reason);
  };
  if (signal?.aborted) local.abort(signal.reason);
  signal?.addEventListener('abort', forward, { once: true });
  try {
    return (await client.callTool({ name, arguments: args }, undefined, {
      signal: local.signal,
      timeout: 15 * 60_000,
    })) as CallToolResult;
  } finally {
    signal?.removeEventListener('abort', forward);
  }
}

/** Read a stored result back page by page (each tool result has a byte budget). */
export async function takeStored(
  client: Client,
  session: AnalysisSession,
  stored: unknown,
  signal?: AbortSignal,
): Promise<string | null> {
  const chars = (stored as { chars?: unknown } | null)?.chars;
  if (typeof chars !== 'number') return null;
  let text = '';
  while (text.length < chars) {
    const page = await run(client, session, `_pymcp_take(${text.length})`, 30, signal);
    if (!page.ok || typeof page.value !== 'string' || page.value === '') return null;
    text += page.value;
  }
  return text;
}

/** The last line of a failed run's error (the exception line), whole. */
export function lastLine(result: RunValue): string {
  if (result.status === 'timed_out')
    return `the step did not finish within ${result.timeoutSeconds} s`;
  const lines = (result.error ?? result.status).trim().split('\n');
  return lines[lines.length - 1] ?? result.status;
}

export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

export function pyString(value: string): string {
  return JSON.stringify(value);
}
