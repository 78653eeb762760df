/**
 * Whether a JSON-RPC batch (an array of messages) is accepted, by the negotiated MCP protocol
 * version. Batching was added in 2025-03-26 and removed in 2025-06-18; one rule for both
 * transports, so stdio and HTTP answer a batch the same way.
 */
const BATCH_VERSIONS: ReadonlySet<string> = new Set(['2025-03-26']);

/** null when a batch is allowed, else the message of the -32600 error that refuses it. */
export function batchRefusal(protocolVersion: string | undefined): string | null {
  if (protocolVersion !== undefined && BATCH_VERSIONS.has(protocolVersion)) return null;
  const which =
    protocolVersion === undefined
      ? 'without a negotiated protocol version'
      : `in protocol version ${protocolVersion}`;
  return `Invalid Request: batch requests are not supported ${which}; send each message on its own`;
}
