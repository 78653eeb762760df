/** Tools to create, list, reset and close stateful Python sessions. */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '../../shared/config.js';
import type { Executor, SessionInfo } from '../../sandbox/executor.js';
import { describeEnvironment, type PythonEnvironment } from '../../shared/python-environment.js';
import { environmentInfo, environmentSchema } from './list-packages.js';

export interface SessionToolDeps {
  config: Config;
  executor: Executor;
  owner: string;
  /** The Python environment every sandbox runs; create_session names it. */
  environment: PythonEnvironment;
}

const SESSION_SHAPE = {
  session_id: z.string(),
  created_at: z.string(),
  last_used_at: z.string(),
  runs: z.number(),
  running: z.boolean(),
  idle_expires_in_seconds: z.number(),
};
const sessionIdInput = {
  session_id: z.string().min(1).max(128).describe('A session_id returned by create_session'),
};

export function registerSessionTools(tools: ToolRegistry, deps: SessionToolDeps): void {
  const { executor, owner, config, environment } = deps;
  tools.register(
    'create_session',
    {
      title: 'Create a Python session',
      description: `Start a stateful Python sandbox. Pass the returned session_id to run_python_code to keep variables, imports and /tmp files between calls. Sessions close after ${config.sessionIdleSeconds} s idle; at most ${config.maxSessions} exist at once.`,
      inputSchema: {},
      outputSchema: { ...SESSION_SHAPE, environment: environmentSchema },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async () => {
      const info = await executor.createSession(owner);
      return sessionResult(
        info,
        'Created session',
        ` It runs ${describeEnvironment(environment)}; list_packages shows what it can import.`,
        { environment: environmentInfo(environment) },
      );
    },
  );

  tools.register(
    'list_sessions',
    {
      title: 'List Python sessions',
      description: 'List the Python sessions this connection has open.',
      inputSchema: {},
      outputSchema: { sessions: z.array(z.object(SESSION_SHAPE)) },
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    () => {
      const sessions = executor.listSessions(owner);
      const text =
        sessions.length === 0
          ? 'No open sessions.'
          : sessions
              .map((s) => `${s.session_id}: ${s.runs} runs, last used ${s.last_used_at}`)
              .join('\n');
      return { content: [{ type: 'text', text }], structuredContent: { sessions } };
    },
  );

  tools.register(
    'reset_session',
    {
      title: 'Reset a Python session',
      description:
        "Discard a session's variables, imports and files and start it over in a fresh sandbox, keeping its session_id.",
      inputSchema: sessionIdInput,
      outputSchema: SESSION_SHAPE,
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async (args) =>
      sessionResult(await executor.resetSession(owner, args.session_id), 'Reset session'),
  );

  tools.register(
    'close_session',
    {
      title: 'Close a Python session',
      description: 'Close a session and destroy its sandbox and state.',
      inputSchema: sessionIdInput,
      outputSchema: { session_id: z.string(), closed: z.boolean() },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    (args) => {
      executor.closeSession(owner, args.session_id);
      return {
        content: [{ type: 'text', text: `Closed session ${args.session_id}.` }],
        structuredContent: { session_id: args.session_id, closed: true },
      };
    },
  );
}

function sessionResult(
  info: SessionInfo,
  verb: string,
  more = '',
  structured: Record<string, unknown> = {},
): CallToolResult {
  return {
    content: [
      {
        type: 'text',
        text: `${verb} ${info.session_id}. Pass session_id "${info.session_id}" to run_python_code.${more}`,
      },
    ],
    structuredContent: { ...info, ...structured },
  };
}
