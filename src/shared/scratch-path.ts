/**
 * Names of files in a session's scratch directory, as a client gives them (upload_file,
 * download_file, resource URIs). Checked here before anything reaches the sandbox, and again by
 * the worker (python/session_files.py), which opens them without following any link. Pure.
 */

/** Longest accepted name, in UTF-8 bytes. */
const SCRATCH_NAME_BYTES = 1024;
/** Deepest accepted name, in components. */
const SCRATCH_NAME_DEPTH = 16;

export type ScratchName = { ok: true; name: string } | { ok: false; reason: string };

/**
 * A relative name inside the scratch directory (`data.csv`, `outputs/plot.png`), or why not.
 * Nothing is resolved or normalised: a name that would need it is refused, so what is checked is
 * exactly what is opened.
 */
export function checkScratchName(name: string, scratchRoot: string): ScratchName {
  if (name === '') return { ok: false, reason: 'the path is empty' };
  if (Buffer.byteLength(name, 'utf8') > SCRATCH_NAME_BYTES)
    return { ok: false, reason: `the path is longer than ${SCRATCH_NAME_BYTES} bytes` };
  // Security: NUL would cut the name short in the C library; control characters and lone
  // surrogates have no place in a file name a model types.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name) || !name.isWellFormed())
    return { ok: false, reason: 'the path contains control characters or invalid Unicode' };
  if (name.includes('\\'))
    return { ok: false, reason: 'the path contains a backslash; separate directories with /' };
  // Security: no absolute names; the root is fixed by the server, never by the client.
  if (name.startsWith('/')) {
    const hint = name.startsWith(`${scratchRoot}/`)
      ? ` (for ${name} pass ${JSON.stringify(name.slice(scratchRoot.length + 1).slice(0, 200))})`
      : '';
    return {
      ok: false,
      reason: `the path must be relative to ${scratchRoot}, not absolute${hint}`,
    };
  }
  const parts = name.split('/');
  // Security: no way up ("..") and nothing to normalise (".", "//", a trailing "/").
  if (parts.some((part) => part === '..'))
    return { ok: false, reason: "the path must not contain '..'" };
  if (parts.some((part) => part === '' || part === '.'))
    return { ok: false, reason: "the path must not contain '.' or empty components" };
  if (parts.length > SCRATCH_NAME_DEPTH)
    return { ok: false, reason: `the path is deeper than ${SCRATCH_NAME_DEPTH} directories` };
  return { ok: true, name };
}
