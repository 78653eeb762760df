/** Internal errors become short isError results; the server keeps serving. */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isPymcpError, errorMessage } from '../../shared/errors.js';

export function toolFailure(error: unknown): CallToolResult {
  const message = isPymcpError(error) ? error.message : `internal error: ${errorMessage(error)}`;
  const code = isPymcpError(error) ? error.code : 'internal';
  return { content: [{ type: 'text', text: `Error (${code}): ${message}` }], isError: true };
}
