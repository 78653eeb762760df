/**
 * Internal errors: something the server itself could not do (spawn failed, bad configuration,
 * broken invariant). They carry a string `code` and a chained `cause`, are logged in full to
 * stderr, and reach a client only as a short message.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'python_not_found'
  | 'bwrap_not_found'
  | 'sandbox_start_failed'
  | 'sandbox_protocol'
  | 'sandbox_closed'
  | 'busy'
  | 'cancelled'
  | 'session_not_found'
  | 'session_limit'
  | 'input_invalid'
  | 'shutting_down'
  | 'path_denied'
  | 'file_failed'
  | 'lsp_unavailable'
  | 'lsp_unsupported'
  | 'lsp_timeout'
  | 'lsp_failed'
  | 'symbol_not_found'
  | 'symbol_ambiguous';

export class PymcpError extends Error {
  override readonly name = 'PymcpError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isPymcpError(error: unknown, code?: ErrorCode): error is PymcpError {
  return error instanceof PymcpError && (code === undefined || error.code === code);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
