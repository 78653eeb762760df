/**
 * How large one JSON-RPC request may be: room for the largest call a tool accepts, and little
 * more, so that a peer cannot make the server buffer megabytes it would refuse anyway.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

/** The JSON-RPC envelope and every argument but the code and the globals. */
const ENVELOPE_BYTES = 64 * KiB;
/** Room for run_python_code's global_variables, serialised; the tool refuses more. */
export const GLOBALS_BYTES = MiB;

/**
 * Bytes of the largest request: a run_python_code call whose python_code is `codeBytes` of
 * UTF-8, with up to 1 MiB of global_variables, in its JSON-RPC envelope. JSON escaping of
 * ordinary code (quotes, backslashes, newlines) stays under 2x; code full of control characters
 * (`\u00XX`, 6x) or sent ASCII-only (`\uXXXX` for each non-ASCII character, up to 3x) can pass
 * the cap while its decoded size is within the limit, and is then refused as an oversized
 * request, which says that the cap counts the encoded request.
 */
export function maxRequestBytes(codeBytes: number): number {
  return 2 * codeBytes + GLOBALS_BYTES + ENVELOPE_BYTES;
}
