/**
 * A session's scratch files as the server offers them: names checked (shared/scratch-path.ts),
 * reads and writes done by the session's worker inside its sandbox, every answer bounded, and
 * each file addressed by a resource URI, pymcp://sessions/{session_id}/files/{path}.
 */
import type { Executor } from '../sandbox/executor.js';
import { SCRATCH_FILES } from '../sandbox/profile.js';
import { FILE_CHUNK_BYTES, type FileAnswer } from '../sandbox/worker-protocol.js';
import { PymcpError } from '../shared/errors.js';
import { checkScratchName } from '../shared/scratch-path.js';

export const SCRATCH_ROOT = SCRATCH_FILES.root;
const URI_PREFIX = 'pymcp://sessions/';
export const URI_TEMPLATE = `${URI_PREFIX}{session_id}/files/{+path}`;

export interface FileEntry {
  path: string;
  size: number;
  /** Modification time, ISO 8601. */
  modified: string;
}

interface FileChunk {
  /** Size of the whole file. */
  size: number;
  offset: number;
  data: Buffer;
}

/** The name, checked; or an input_invalid error that says why (and echoes no more than 200 chars). */
export function scratchName(name: string): string {
  const checked = checkScratchName(name, SCRATCH_ROOT);
  if (!checked.ok) {
    throw new PymcpError(
      'input_invalid',
      `${JSON.stringify(name.slice(0, 200))} is refused: ${checked.reason}`,
    );
  }
  return checked.name;
}

export function fileUri(sessionId: string, name: string): string {
  return `${URI_PREFIX}${encodeURIComponent(sessionId)}/files/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** A session file's URI -> its session and name (checked), or null if it is not one. */
export function parseFileUri(uri: string): { sessionId: string; name: string } | null {
  if (!uri.startsWith(URI_PREFIX) || uri.length > 8192) return null;
  const match = /^([^/]+)\/files\/(.+)$/.exec(uri.slice(URI_PREFIX.length));
  if (match === null) return null;
  try {
    const sessionId = decodeURIComponent(match[1] ?? '');
    const name = (match[2] ?? '').split('/').map(decodeURIComponent).join('/');
    return { sessionId, name: scratchName(name) };
  } catch {
    return null;
  }
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  py: 'text/x-python',
  parquet: 'application/vnd.apache.parquet',
};

export function mimeTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
  return MIME_TYPES[extension] ?? 'application/octet-stream';
}

/** The connection's view of its sessions' files. */
export class SessionFiles {
  constructor(
    private readonly executor: Executor,
    private readonly owner: string,
  ) {}

  sessionIds(): string[] {
    return this.executor.listSessions(this.owner).map((session) => session.session_id);
  }

  /**
   * The session's files a client can name. `unlisted` counts the others: names session code gave
   * them that download_file would refuse (bytes that are not UTF-8, control characters, a
   * backslash, too long), which could not even be put in a resource URI.
   */
  async list(
    sessionId: string,
  ): Promise<{ entries: FileEntry[]; truncated: boolean; unlisted: number }> {
    const answer = succeeded(await this.executor.file(this.owner, sessionId, { action: 'list' }));
    const entries: FileEntry[] = [];
    let unlisted = 0;
    for (const [path, size, mtime] of answer.entries ?? []) {
      // Security: the worker's names are hostile input; only one a client can send is listed.
      if (!checkScratchName(path, SCRATCH_ROOT).ok) unlisted += 1;
      else entries.push({ path, size, modified: new Date(mtime * 1000).toISOString() });
    }
    return { entries, truncated: answer.truncated ?? false, unlisted };
  }

  async read(sessionId: string, name: string, offset: number, length: number): Promise<FileChunk> {
    const want = Math.min(length, FILE_CHUNK_BYTES);
    const answer = succeeded(
      await this.executor.file(this.owner, sessionId, {
        action: 'read',
        path: scratchName(name),
        offset,
        length: want,
      }),
    );
    const data = Buffer.from(answer.data ?? '', 'base64');
    // Security: the worker shares a process with session code; its answer is checked, not trusted.
    if (answer.size === undefined || data.length > want || answer.offset !== offset) {
      throw new PymcpError('sandbox_protocol', 'the sandbox sent a malformed file answer');
    }
    return { size: answer.size, offset, data };
  }

  async write(sessionId: string, name: string, data: Buffer, append: boolean): Promise<number> {
    if (data.length > FILE_CHUNK_BYTES) {
      throw new PymcpError(
        'input_invalid',
        `the content is ${data.length} bytes; at most ${FILE_CHUNK_BYTES} go in one call (send the rest with append: true)`,
      );
    }
    const answer = succeeded(
      await this.executor.file(this.owner, sessionId, {
        action: 'write',
        path: scratchName(name),
        data: data.toString('base64'),
        append,
      }),
    );
    if (answer.size === undefined)
      throw new PymcpError('sandbox_protocol', 'the sandbox sent a malformed file answer');
    return answer.size;
  }
}

function succeeded(answer: FileAnswer): FileAnswer {
  if (!answer.ok) throw new PymcpError('file_failed', answer.error ?? 'the file operation failed');
  return answer;
}
