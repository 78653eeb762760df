/**
 * The one gate every client-supplied path goes through before a workspace file is read or
 * written. Checks are layered: input shape, one decoding step, a lexical separator-aware
 * containment check, then realpath and the containment check again, then the file type and size.
 * Every check after realpath is made on an opened descriptor, whose real path (from /proc) must
 * be inside the real workspace root: a directory swapped for a symlink between a check and an
 * open would otherwise hand over a file outside. The read and the write check their own
 * descriptors the same way.
 *
 * Denials are PymcpError('path_denied') with a message that names the rule. They never contain
 * file contents, and a path that leads outside the workspace is always "outside the workspace",
 * whether or not anything exists there.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, realpathSync, type BigIntStats } from 'node:fs';
import { lstat, open, type FileHandle, readlink, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { descriptorPath, descriptorPathSync, inDirectory, O_PATH } from './descriptor-path.js';
import { PymcpError } from './errors.js';

export interface WorkspaceFile {
  /** Real path on the host (symlinks resolved). */
  absolute: string;
  /** Path relative to the workspace root, with '/' separators, e.g. 'pkg/cart.py'. */
  relative: string;
  size: number;
}

const MAX_PATH_CHARS = 4096;
/** Linux's MAXSYMLINKS; only used to classify a failed realpath. */
const MAX_SYMLINK_HOPS = 40;
const READ_CHUNK_BYTES = 64 * 1024;
const URI_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const HINT = 'use a path relative to the workspace root';

interface FileIdentity {
  dev: bigint;
  ino: bigint;
  mode: number;
  /** The real workspace root the file was checked against. */
  root: string;
}

/**
 * What the gate saw for each file it approved. readWorkspaceText compares the opened descriptor
 * against it, so only objects returned by resolveWorkspaceFile can be read.
 */
const approved = new WeakMap<WorkspaceFile, FileIdentity>();

/** The device and inode the gate saw for a file it approved (undefined for any other object). */
export function approvedIdentity(file: WorkspaceFile): { dev: bigint; ino: bigint } | undefined {
  const identity = approved.get(file);
  return identity === undefined ? undefined : { dev: identity.dev, ino: identity.ino };
}

/**
 * Resolve a path a client sent to a regular file inside the workspace, or throw
 * PymcpError('path_denied', <clear message>). `root` is the workspace root; the gate realpath()s it itself.
 */
export async function resolveWorkspaceFile(
  root: string,
  input: string,
  options: { maxBytes: number },
): Promise<WorkspaceFile> {
  const { file, identity } = await gate(root, input, options);
  approved.set(file, identity);
  return file;
}

async function gate(
  root: string,
  input: string,
  options: { maxBytes: number },
): Promise<{ file: WorkspaceFile; identity: FileIdentity }> {
  const decoded = decodeInput(input);
  const lexicalRoot = path.resolve(root);
  let realRoot: string;
  try {
    realRoot = realpathSync.native(lexicalRoot);
  } catch (error) {
    throw new PymcpError('path_denied', 'the workspace root cannot be resolved', { cause: error });
  }

  // Security: lexical containment before the input touches the filesystem, so paths outside the
  // workspace are never stat()ed and their existence is never revealed. Both spellings of a
  // symlinked root count as inside; everything is checked against the real root below.
  const candidate = path.resolve(lexicalRoot, decoded);
  const relative =
    relativeToWorkspace(lexicalRoot, candidate) ?? relativeToWorkspace(realRoot, candidate);
  if (relative === null) deny(`${quote(input)} is outside the workspace; ${HINT}`);

  let real: string;
  try {
    real = realpathSync.native(candidate);
  } catch (error) {
    return deny(await unresolvableReason(realRoot, candidate, relative, error));
  }
  // Security: symlinks anywhere in the chain (root included) are resolved; the real path must
  // still be inside the real root, or a link would hand out a file outside the workspace.
  if (relativeToWorkspace(realRoot, real) === null) deny(outsideThroughLink(relative));

  // Security: from here on the checks are on a descriptor, not on the path again: a directory on
  // the way swapped for a symlink since realpath() would send a stat() of the path elsewhere.
  // O_PATH opens nothing (a FIFO cannot block, a device sees no open); O_NOFOLLOW keeps a final
  // component swapped for a symlink a symlink. Any failure now means the tree changed; the error
  // code is not shown, since it could describe whatever a swapped-in link led to. These calls
  // are synchronous: each is a few microseconds on a local file (an O_PATH open reads no data),
  // and a trip through the thread pool for each cost more than the request they guard.
  let fd: number;
  try {
    fd = openSync(real, O_PATH | constants.O_NOFOLLOW);
  } catch {
    return deny(changedMessage(relative));
  }
  let where: string;
  let stats: BigIntStats;
  try {
    where = insideWorkspace(descriptorPathSync(fd), realRoot, relative);
    stats = fstatSync(fd, { bigint: true });
  } finally {
    closeSync(fd);
  }
  const realRelative = relativeToWorkspace(realRoot, where) ?? deny(changedMessage(relative));
  // Security: the last component became a symlink after realpath(); O_NOFOLLOW opened the link.
  if (stats.isSymbolicLink()) deny(changedMessage(relative));
  // Security: only regular files; a FIFO would block the reader, a device could stream forever.
  if (!stats.isFile()) deny(`${relative} is ${describeKind(stats)}, not a regular file`);
  const size = Number(stats.size);
  // Security: bounds what is read into memory and sent to a language server or a client.
  if (size > options.maxBytes) deny(sizeMessage(relative, size, options.maxBytes));

  return {
    file: { absolute: where, relative: realRelative, size },
    identity: { dev: stats.dev, ino: stats.ino, mode: Number(stats.mode), root: realRoot },
  };
}

/**
 * The real path of the file open as `handle`, after checking it is inside the real workspace
 * root; otherwise path_denied ("changed since it was checked"), naming neither that path nor
 * anything about it.
 */
async function insideDescriptor(
  handle: FileHandle,
  realRoot: string,
  relative: string,
): Promise<string> {
  return insideWorkspace(await descriptorPath(handle), realRoot, relative);
}

/** The descriptor's real path (see insideDescriptor) when it is inside the real root. */
function insideWorkspace(where: string | null, realRoot: string, relative: string): string {
  // Security: what was opened must be inside the workspace, whatever the path it was opened by
  // resolved to a moment later; an unlinked file (' (deleted)') or no /proc counts as outside.
  if (where === null || relativeToWorkspace(realRoot, where) === null) {
    deny(changedMessage(relative));
  }
  return where;
}

/**
 * Read the file resolved by resolveWorkspaceFile as UTF-8 text; refuse (path_denied) if it is not
 * valid UTF-8 or has NUL bytes, or grew past maxBytes since the check. A UTF-8 byte order mark is
 * kept in the text, so a read followed by a write round-trips the bytes.
 */
export async function readWorkspaceText(
  file: WorkspaceFile,
  options: { maxBytes: number },
): Promise<string> {
  const identity = approved.get(file);
  if (identity === undefined) deny(`${file.relative} was not resolved by the workspace path gate`);

  // Security: O_NOFOLLOW refuses a final component swapped for a symlink after the check;
  // O_NONBLOCK keeps a component swapped for a FIFO from blocking the open; O_NOCTTY keeps a
  // terminal from becoming ours.
  const flags =
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
  const handle = await open(file.absolute, flags).catch((error: unknown) =>
    deny(`${file.relative} cannot be opened (${errnoCode(error) ?? 'error'}); try again`),
  );
  let data: Buffer;
  try {
    // Security: what was opened must be inside the workspace (O_NOFOLLOW guards only the final
    // component; a directory on the way may have become a symlink to outside since the check).
    await insideDescriptor(handle, identity.root, file.relative);
    const stats = await handle.stat({ bigint: true });
    // Security: the descriptor must be the very file the gate approved, not one swapped in
    // between the check and the open (a rename, or a directory replaced by a symlink).
    if (!stats.isFile() || stats.dev !== identity.dev || stats.ino !== identity.ino) {
      deny(changedMessage(file.relative));
    }
    // Size the first read from the descriptor's size (+1 to notice growth); still capped.
    data = await readAtMost(handle, options.maxBytes + 1, Number(stats.size) + 1);
  } finally {
    await handle.close();
  }
  // Security: the size cap holds for what is actually read, not only for the earlier stat.
  if (data.length > options.maxBytes) {
    deny(`${file.relative} grew past the ${options.maxBytes}-byte limit since it was checked`);
  }
  // Security: binary content is not text for a language server or a model.
  if (data.includes(0)) deny(`${file.relative} contains NUL bytes; it looks like a binary file`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch (error) {
    throw new PymcpError('path_denied', `${file.relative} is not valid UTF-8 text`, {
      cause: error,
    });
  }
}

/**
 * Workspace-relative '/'-separated path for an absolute host path, or null when it is outside the
 * workspace (separator-aware, no realpath: pure string check on already-resolved paths). The
 * root itself is '.'.
 */
export function relativeToWorkspace(root: string, absolute: string): string | null {
  if (!path.isAbsolute(root) || !path.isAbsolute(absolute)) return null;
  const normalizedRoot = path.resolve(root);
  const normalized = path.resolve(absolute);
  if (normalized === normalizedRoot) return '.';
  const prefix = normalizedRoot.endsWith(path.sep) ? normalizedRoot : normalizedRoot + path.sep;
  // Security: compare up to a separator, so '/ws-evil/x' is not inside '/ws'.
  if (!normalized.startsWith(prefix)) return null;
  return normalized.slice(prefix.length).split(path.sep).join('/');
}

/**
 * Write `text` to an existing workspace file atomically (temp file in the same directory +
 * rename), after re-running the gate on it; keeps the file's permission bits. A symlink inside
 * the workspace stays a symlink: its target is replaced.
 */
export async function writeWorkspaceFileAtomic(
  root: string,
  relative: string,
  text: string,
  options: { maxBytes: number },
): Promise<void> {
  const { file, identity } = await gate(root, relative, options);
  const data = Buffer.from(text, 'utf8');
  if (data.length > options.maxBytes) {
    deny(sizeMessage(file.relative, data.length, options.maxBytes));
  }

  // Security: the file's directory is held open and every step below names entries through
  // that descriptor (openat/renameat), so a directory on the way swapped for a symlink after
  // this check cannot move the temp file or the rename out of the workspace. O_NOFOLLOW refuses
  // a directory that is itself a symlink by now.
  const directory = await open(
    path.dirname(file.absolute),
    constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW,
  ).catch(() => deny(changedMessage(file.relative)));
  try {
    const held = await insideDescriptor(directory, identity.root, file.relative);
    await replaceInDirectory(directory, held, path.basename(file.absolute), data, {
      identity,
      relative: file.relative,
    });
  } finally {
    await directory.close();
  }
}

/** Write `data` to a new temp file in the held directory, then rename it over `name`. */
async function replaceInDirectory(
  directory: FileHandle,
  held: string,
  name: string,
  data: Buffer,
  approvedFile: { identity: FileIdentity; relative: string },
): Promise<void> {
  const { identity, relative } = approvedFile;
  const temp = `.${name}.${randomBytes(6).toString('hex')}.pymcp-tmp`;
  // Security: O_EXCL never reuses or follows an existing entry at the temp name.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(inDirectory(directory, temp), flags, 0o600).catch((error: unknown) =>
    deny(`${relative} cannot be written (${errnoCode(error) ?? 'error'})`),
  );
  let renamed = false;
  try {
    try {
      // Security: the temp file must be in the held directory, and nowhere else.
      const made = await descriptorPath(handle);
      if (made === null || path.dirname(made) !== held) deny(changedMessage(relative));
      await handle.writeFile(data);
      await handle.chmod(identity.mode & 0o777);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Security: right before the rename, the name in the held directory must still be the file
    // the gate approved, so the write replaces that file and nothing swapped in for it.
    const current = await lstat(inDirectory(directory, name), { bigint: true }).catch(() =>
      deny(changedMessage(relative)),
    );
    if (!current.isFile() || current.dev !== identity.dev || current.ino !== identity.ino) {
      deny(changedMessage(relative));
    }
    await rename(inDirectory(directory, temp), inDirectory(directory, name)).catch(
      (error: unknown) => deny(`${relative} cannot be written (${errnoCode(error) ?? 'error'})`),
    );
    renamed = true;
  } finally {
    if (!renamed) await unlink(inDirectory(directory, temp)).catch(() => undefined);
  }
}

/** Input shape and the single decoding step: a plain path as is, or a local file: URI. */
function decodeInput(input: string): string {
  const raw: unknown = input;
  if (typeof raw !== 'string') deny('path must be a string');
  if (raw.length === 0) deny(`path is empty; ${HINT}, e.g. 'pkg/module.py'`);
  // Security: bounds the work done on a path and stays within PATH_MAX.
  if (raw.length > MAX_PATH_CHARS) {
    deny(`path is ${raw.length} characters, over the ${MAX_PATH_CHARS}-character limit`);
  }
  checkNoControlCharacters(raw);

  if (!URI_SCHEME.test(raw)) {
    // Security: no shell-style expansion; '~' would name a home directory outside the workspace.
    if (raw.startsWith('~')) deny(`"~" is not expanded; ${HINT}`);
    // Percent-escapes in a plain path are not decoded: 'a%2e.py' is that file name.
    return raw;
  }
  const scheme = raw.slice(0, raw.indexOf(':') + 1).toLowerCase();
  // Security: only local files; http:, untitled:, vscode: and the like name nothing on this host.
  if (scheme !== 'file:') {
    deny(
      `"${scheme}" URIs are not supported; ${HINT} or a file: URI ` +
        `(prefix a file name containing ':' with './')`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return deny('malformed file: URI');
  }
  // Security: a file: URI with a host names another machine (a UNC share elsewhere).
  if (url.hostname !== '' && url.hostname !== 'localhost') {
    deny(`file: URI names the host ${quote(url.hostname)}; only local workspace files are allowed`);
  }
  if (url.search !== '' || url.hash !== '') deny('file: URI must not have a query or fragment');
  let decoded: string;
  try {
    // Decodes percent-escapes exactly once; '%2F' (an encoded '/') is refused by Node.
    decoded = fileURLToPath(url);
  } catch (error) {
    throw new PymcpError('path_denied', `file: URI cannot be used: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // Security: '%00' and friends decode to control characters; check the decoded path too.
  checkNoControlCharacters(decoded);
  return decoded;
}

function checkNoControlCharacters(value: string): void {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    // Security: NUL truncates paths in C APIs; other control characters spoof logs and messages.
    if (code === 0) deny('path contains a NUL byte');
    if (code < 0x20 || code === 0x7f) {
      deny(
        `path contains a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`,
      );
    }
  }
}

/**
 * Why realpath() failed, worded so that nothing about the world outside the workspace leaks: the
 * path is walked again component by component, and if it leaves the workspace before getting
 * stuck the answer is "outside the workspace" whether or not the target exists.
 */
async function unresolvableReason(
  realRoot: string,
  candidate: string,
  relative: string,
  error: unknown,
): Promise<string> {
  const walked = await walk(candidate);
  // Security: a link that leads out (even to nothing) is "outside", never "no such file".
  if (relativeToWorkspace(realRoot, walked.at) === null) return outsideThroughLink(relative);
  switch (walked.kind) {
    case 'missing':
      return `no such file in the workspace: ${relative}`;
    case 'loop':
      return `${relative} cannot be resolved: too many levels of symbolic links`;
    case 'error':
      return `${relative} cannot be accessed (${walked.code})`;
    case 'resolved':
      // realpath() failed but the walk did not: the tree changed in between.
      return `${relative} cannot be resolved (${errnoCode(error) ?? 'error'}); try again`;
  }
}

interface Walk {
  kind: 'resolved' | 'missing' | 'loop' | 'error';
  /** Real path reached: the whole path when resolved, else the directory where it stopped. */
  at: string;
  code: string;
}

/** Resolve `absolute` like realpath() does, reporting the real directory where it stops. */
async function walk(absolute: string): Promise<Walk> {
  const pending = components(absolute);
  let current: string = path.sep;
  let hops = 0;
  for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
    if (part === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    let stats;
    try {
      stats = await lstat(next);
    } catch (error) {
      const code = errnoCode(error) ?? 'error';
      return { kind: code === 'ENOENT' ? 'missing' : 'error', at: current, code };
    }
    if (stats.isSymbolicLink()) {
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) return { kind: 'loop', at: current, code: 'ELOOP' };
      let target;
      try {
        target = await readlink(next);
      } catch (error) {
        return { kind: 'error', at: current, code: errnoCode(error) ?? 'error' };
      }
      pending.unshift(...components(target));
      if (path.isAbsolute(target)) current = path.sep;
      continue;
    }
    if (pending.length > 0 && !stats.isDirectory()) {
      return { kind: 'missing', at: current, code: 'ENOTDIR' };
    }
    current = next;
  }
  return { kind: 'resolved', at: current, code: '' };
}

function components(value: string): string[] {
  return value.split(path.sep).filter((part) => part !== '' && part !== '.');
}

async function readAtMost(handle: FileHandle, limit: number, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  let next = Math.max(1, Math.min(expected, READ_CHUNK_BYTES));
  while (total < limit) {
    const chunk = Buffer.allocUnsafe(Math.min(next, limit - total));
    next = READ_CHUNK_BYTES;
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}

function describeKind(stats: BigIntStats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function changedMessage(relative: string): string {
  return `${relative} changed since it was checked; try again`;
}

function outsideThroughLink(relative: string): string {
  return `${relative} is outside the workspace (a symbolic link leads out of it)`;
}

function sizeMessage(relative: string, size: number, maxBytes: number): string {
  return `${relative} is ${size} bytes, over the ${maxBytes}-byte limit`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function deny(message: string): never {
  throw new PymcpError('path_denied', message);
}
