/**
 * One place where every tool call is checked and every failure is mapped. Tools are listed by the
 * SDK's McpServer (their schemas become JSON Schema there), but `tools/call` is answered here:
 *
 * - an unknown tool is a protocol error (JSON-RPC -32602), as the MCP specification says, not
 *   an isError result a model could mistake for the tool's answer;
 * - arguments are checked cheaply before any schema work: their element count is bounded and an
 *   unknown argument is refused by name (strict schemas: a misspelt `timeout` is not ignored);
 * - a schema failure, and anything a handler throws, becomes an isError result the model can
 *   act on (kind 2 of the three kinds of error); internal errors are logged in full.
 *
 * The handler is registered on the SDK's Protocol layer, which parses each request with
 * CallToolRequestSchema. The SDK's Server overrides setRequestHandler for tools/call to parse the
 * request a second time with the same schema, and the result with CallToolResultSchema; the
 * first is skipped, the second is made here (validResult), but not for results of typedResult():
 * one text item and a structuredContent object, a shape its types fix. The two parses were ~5%
 * of a warm lsp_* call.
 */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Protocol, type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { errorMessage, isPymcpError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Security: bounds the schema work one call can cause (nested values, counted with keys). */
export const MAX_ARGUMENT_ELEMENTS = 100_000;
/**
 * Security: bounds how deep the arguments nest. The worker decodes global_variables with
 * CPython's json, which fails past its recursion limit (~1000 levels, less its own stack); a
 * run it cannot decode would hang until the timeout and lose the session's sandbox.
 */
export const MAX_ARGUMENT_DEPTH = 100;

export interface ToolConfig<Input extends z.ZodRawShape, Output extends z.ZodRawShape> {
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema?: Output;
  annotations: ToolAnnotations;
}

export type ToolHandler<Input extends z.ZodRawShape> = (
  args: z.infer<z.ZodObject<Input>>,
  extra: ToolExtra,
) => CallToolResult | Promise<CallToolResult>;

/** How a tools/call ended, for metrics: a bounded set, whatever the client sends. */
export type ToolCallOutcome = 'ok' | 'error' | 'invalid_arguments' | 'unknown_tool';

/** Told of every tools/call once it is answered; `tool` is a registered name or "unknown". */
export type ToolCallObserver = (tool: string, outcome: ToolCallOutcome, seconds: number) => void;

interface Entry {
  schema: z.ZodObject;
  keys: ReadonlySet<string>;
  handler: (args: unknown, extra: ToolExtra) => CallToolResult | Promise<CallToolResult>;
}

/**
 * A JSON-RPC error the SDK sends as is: its `code` and `message` (McpError would prefix the
 * message with "MCP error -32602:", which a client prefixes once more).
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class ToolRegistry {
  private readonly tools = new Map<string, Entry>();

  constructor(
    private readonly server: McpServer,
    private readonly logger: Logger,
    private readonly options: {
      observe?: ToolCallObserver | undefined;
      /** Aborted when the server stops: calls still running are cancelled and told why. */
      shutdown?: AbortSignal | undefined;
    } = {},
  ) {
    // Protocol's own setRequestHandler, not the Server's override (see the top of this file).
    const setRequestHandler = Protocol.prototype.setRequestHandler.bind(
      server.server,
    ) as typeof server.server.setRequestHandler;
    setRequestHandler(CallToolRequestSchema, async (request, extra) =>
      validResult(await this.observed(request.params.name, request.params.arguments, extra)),
    );
  }

  register<Input extends z.ZodRawShape, Output extends z.ZodRawShape = z.ZodRawShape>(
    name: string,
    config: ToolConfig<Input, Output>,
    handler: ToolHandler<Input>,
  ): void {
    const schema = z.strictObject(config.inputSchema);
    const run = handler as Entry['handler'];
    // Registered with the SDK for tools/list (and its JSON Schema: additionalProperties false);
    // tools/call never reaches the SDK's handler, it is answered by call() below.
    this.server.registerTool(name, { ...config, inputSchema: schema }, run);
    this.tools.set(name, { schema, keys: new Set(Object.keys(config.inputSchema)), handler: run });
  }

  private failure(name: string, error: unknown): CallToolResult {
    if (!isPymcpError(error)) this.logger.error(`tool ${name} failed`, error);
    return failureResult(error);
  }

  private async observed(name: string, args: unknown, extra: ToolExtra): Promise<CallToolResult> {
    const observe = this.options.observe;
    if (observe === undefined) return this.call(name, args, extra);
    const began = performance.now();
    // Security: a metric label is a registered tool name, never a string the client made up.
    const tool = this.tools.has(name) ? name : 'unknown';
    let outcome: ToolCallOutcome = 'unknown_tool';
    try {
      const result = await this.call(name, args, extra);
      outcome =
        result.isError !== true ? 'ok' : INVALID.has(result) ? 'invalid_arguments' : 'error';
      return result;
    } finally {
      observe(tool, outcome, (performance.now() - began) / 1000);
    }
  }

  private async call(name: string, args: unknown, extra: ToolExtra): Promise<CallToolResult> {
    const tool = this.tools.get(name);
    if (tool === undefined) {
      throw new ProtocolError(
        ErrorCode.InvalidParams,
        `Tool ${JSON.stringify(name.slice(0, 128))} not found; tools/list names the tools this server has`,
      );
    }
    const refusal = precheck(name, args ?? {}, tool.keys);
    if (refusal !== null) return invalidArguments(refusal);
    // Synchronous: no schema here has async refinements, and each await is a turn of the loop.
    const parsed = tool.schema.safeParse(args ?? {});
    if (!parsed.success) return invalidArguments(`${name}: ${describeIssues(parsed.error)}`);
    const { shutdown } = this.options;
    const signal =
      shutdown === undefined ? extra.signal : AbortSignal.any([extra.signal, shutdown]);
    try {
      const result = await tool.handler(
        parsed.data,
        signal === extra.signal ? extra : { ...extra, signal },
      );
      // Whatever the handler made of the cancellation, the client learns the real reason.
      return shutdown?.aborted === true ? SHUT_DOWN : result;
    } catch (error) {
      return shutdown?.aborted === true ? SHUT_DOWN : this.failure(name, error);
    }
  }
}

const SHUT_DOWN: CallToolResult = {
  content: [
    {
      type: 'text',
      text: 'Error (shutting_down): the server stopped before this call finished, so it was cancelled (its sandbox was killed). Start a new session and run it again.',
    },
  ],
  isError: true,
};

/** A failure as the model sees it: short, with its code; an internal one is logged in full. */
function failureResult(error: unknown): CallToolResult {
  const message = isPymcpError(error) ? error.message : `internal error: ${errorMessage(error)}`;
  const code = isPymcpError(error) ? error.code : 'internal';
  return { content: [{ type: 'text', text: `Error (${code}): ${message}` }], isError: true };
}

/** Refusals that need no schema work: too many elements, too deep, unknown argument names. */
function precheck(name: string, args: unknown, keys: ReadonlySet<string>): string | null {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return `${name}: arguments must be an object`;
  }
  const exceeded = exceededBound(args, MAX_ARGUMENT_ELEMENTS, MAX_ARGUMENT_DEPTH);
  if (exceeded === 'elements') {
    return `${name}: the arguments hold more than ${MAX_ARGUMENT_ELEMENTS} values; send less data (write large inputs to a file in a session instead)`;
  }
  if (exceeded === 'depth') {
    return `${name}: the arguments are nested more than ${MAX_ARGUMENT_DEPTH} levels deep; flatten the data (or upload it as a file in a session)`;
  }
  const unknown = Object.keys(args).filter((key) => !keys.has(key));
  if (unknown.length > 0) {
    const shown = unknown
      .slice(0, 5)
      .map((key) => JSON.stringify(key.slice(0, 64)))
      .join(', ');
    const accepted = keys.size === 0 ? 'it takes no arguments' : `it takes ${[...keys].join(', ')}`;
    return `${name}: unknown argument${unknown.length > 1 ? 's' : ''} ${shown}${unknown.length > 5 ? ', ...' : ''}; ${accepted}`;
  }
  return null;
}

/**
 * Which bound a JSON value exceeds, in one walk with early exit: more than `maxElements` array
 * items and object entries in all (reported first), or arrays and objects nested more than
 * `maxDepth` levels (the top one counted).
 */
export function exceededBound(
  value: unknown,
  maxElements: number,
  maxDepth: number,
): 'elements' | 'depth' | null {
  let count = 0;
  let tooDeep = false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth > maxDepth) tooDeep = true;
    const children = Array.isArray(node) ? (node as unknown[]) : Object.values(node);
    count += children.length;
    if (count > maxElements) return 'elements';
    for (const child of children)
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return tooDeep ? 'depth' : null;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length > 0 ? ` (at ${issue.path.join('.')})` : '';
      return `${issue.message}${where}`;
    })
    .join('; ');
}

/** One text item and structured content: a shape its type fixes, so it needs no schema check. */
class TypedResult implements CallToolResult {
  [key: string]: unknown;
  readonly content: CallToolResult['content'];
  readonly structuredContent: Record<string, unknown>;

  constructor(text: string, structured: Record<string, unknown>) {
    this.content = [{ type: 'text', text }];
    this.structuredContent = structured;
  }
}

/** A result of one text item and structured content; validResult does not parse it again. */
export function typedResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return new TypedResult(text, structured);
}

/**
 * The check the SDK's Server makes of every tools/call result (bypassed, see the top of this
 * file), with its error: a result that is not a CallToolResult is a JSON-RPC error, never sent.
 * Security: run_python_code's images and links carry what the sandbox sent.
 */
function validResult(result: CallToolResult): CallToolResult {
  if (result instanceof TypedResult) return result;
  const parsed = CallToolResultSchema.safeParse(result);
  if (!parsed.success) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Invalid tools/call result: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** The results invalidArguments made, told apart from the tools' own isError results. */
const INVALID = new WeakSet<CallToolResult>();

function invalidArguments(message: string): CallToolResult {
  const result: CallToolResult = {
    content: [{ type: 'text', text: `Invalid arguments for ${message}` }],
    isError: true,
  };
  INVALID.add(result);
  return result;
}
