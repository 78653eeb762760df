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
 * UTF-8 (JSON escaping of ordinary code, quotes, backslashes and newlines included, at most
 * doubles it), with up to 1 MiB of global_variables, in its JSON-RPC envelope.
 */
export function maxRequestBytes(codeBytes: number): number {
  return 2 * codeBytes + GLOBALS_BYTES + ENVELOPE_BYTES;
}
