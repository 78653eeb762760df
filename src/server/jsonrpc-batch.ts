/**
 * Whether a JSON-RPC batch (an array of messages) is allowed, by negotiated protocol version.
 * MCP 2025-03-26 added batching; 2025-06-18 removed it (a message is one request, notification or
 * response). One rule for every transport.
 */

/** The first protocol version without batching. */
export const BATCHES_REMOVED_IN = '2025-06-18';

/** Protocol versions are dates, which compare as strings. */
const VERSION_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Why a batch is refused under `protocolVersion`, or null when batches are allowed. Unknown
 * (undefined) counts as 2025-03-26, as the transport specification says servers assume without
 * a version header; a version that is not a date is treated as a later one.
 */
export function batchRefusal(protocolVersion: string | undefined): string | null {
  if (protocolVersion === undefined) return null;
  if (VERSION_DATE.test(protocolVersion) && protocolVersion < BATCHES_REMOVED_IN) return null;
  return `batch requests are not supported in protocol version ${protocolVersion}`;
}
