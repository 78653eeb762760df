/**
 * upload_file, download_file, list_files: files in and out of a session's scratch directory
 * (/tmp in its sandbox). Every read and write is done by the session's worker inside the
 * sandbox (session-files.ts), so no name, link or race can reach a host file.
 */
import { z } from 'zod';
import type { ToolRegistry } from './tool-registry.js';
import type { Config } from '../../shared/config.js';
import { PymcpError } from '../../shared/errors.js';
import { FILE_CHUNK_BYTES } from '../../sandbox/worker-protocol.js';
import { fitChunk } from '../file-chunk.js';
import { formatBytes } from '../run-result.js';
import { utf8Bytes } from '../response-budget.js';
import {
  type FileEntry,
  SCRATCH_ROOT,
  fileUri,
  mimeTypeOf,
  scratchName,
  type SessionFiles,
} from '../session-files.js';

/** Room in a download's response kept for its header line and structuredContent. */
const DOWNLOAD_RESERVE_BYTES = 2 * 1024;
const LIST_LIMIT = 200;

const sessionId = z
  .string()
  .min(1)
  .max(128)
  .describe('The session (from create_session) whose files these are');
const pathInput = z
  .string()
  .min(1, 'the path is empty: it needs at least 1 character')
  .max(1024)
  .describe(
    `File name relative to the session's scratch directory ${SCRATCH_ROOT}, e.g. "data.csv" for ${SCRATCH_ROOT}/data.csv or "outputs/plot.png"; no "..", no absolute paths, no links`,
  );

const WRITES = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: false,
} as const;
const READS = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

export function registerSessionFileTools(
  tools: ToolRegistry,
  files: SessionFiles,
  config: Config,
): void {
  const room = config.limits.responseBytes - DOWNLOAD_RESERVE_BYTES;
  const defaultChunk = Math.min(FILE_CHUNK_BYTES, Math.floor((room / 4) * 3));

  tools.register(
    'upload_file',
    {
      title: 'Upload a file into a session',
      description: `Write a file into a session's scratch directory (${SCRATCH_ROOT} in its sandbox), where run_python_code in that session reads it (e.g. pandas.read_csv("${SCRATCH_ROOT}/data.csv")). Text as is, or binary as base64. At most ${formatBytes(FILE_CHUNK_BYTES)} per call; append: true adds to the end, for larger files in pieces. Directories are created as needed.`,
      inputSchema: {
        session_id: sessionId,
        path: pathInput,
        content: z
          .string()
          .max(Math.ceil(FILE_CHUNK_BYTES / 3) * 4)
          .describe('The file content: text, or base64 when encoding is "base64"'),
        encoding: z
          .enum(['text', 'base64'])
          .default('text')
          .describe('"text" (written as UTF-8) or "base64" (decoded, for binary files)'),
        append: z
          .boolean()
          .default(false)
          .describe('Add to the end of the file instead of replacing it'),
      },
      outputSchema: {
        session_id: z.string(),
        path: z.string(),
        uri: z.string(),
        bytes_written: z.number(),
        size: z.number(),
      },
      annotations: WRITES,
    },
    async (args) => {
      const name = scratchName(args.path);
      const data = decodeContent(args.content, args.encoding);
      const size = await files.write(args.session_id, name, data, args.append);
      const uri = fileUri(args.session_id, name);
      return {
        content: [
          {
            type: 'text',
            text: `${args.append ? 'Appended' : 'Wrote'} ${data.length} bytes to ${SCRATCH_ROOT}/${name} (now ${size} bytes) in session ${args.session_id}.`,
          },
        ],
        structuredContent: {
          session_id: args.session_id,
          path: name,
          uri,
          bytes_written: data.length,
          size,
        },
      };
    },
  );

  tools.register(
    'download_file',
    {
      title: 'Download a file from a session',
      description: `Read a file from a session's scratch directory (${SCRATCH_ROOT} in its sandbox): text as text, binary as base64 (encoding "auto" decides). Paged: a piece fits one response (about ${formatBytes(defaultChunk)} by default); when next_offset is not null, call again with offset: next_offset. The content is the second content item.`,
      inputSchema: {
        session_id: sessionId,
        path: pathInput,
        offset: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Byte offset to start at (next_offset of the previous page)'),
        max_bytes: z
          .number()
          .int()
          .min(1)
          .max(FILE_CHUNK_BYTES)
          .optional()
          .describe(
            `Most bytes of the file in this page (default and upper bound: what fits one response, ${formatBytes(defaultChunk)} as base64)`,
          ),
        encoding: z
          .enum(['auto', 'text', 'base64'])
          .default('auto')
          .describe('"auto": text when the bytes are UTF-8, else base64; or force one'),
      },
      outputSchema: {
        session_id: z.string(),
        path: z.string(),
        uri: z.string(),
        mime_type: z.string(),
        size: z.number(),
        offset: z.number(),
        bytes: z.number(),
        next_offset: z.number().nullable(),
        encoding: z.enum(['text', 'base64']),
      },
      annotations: READS,
    },
    async (args) => {
      const name = scratchName(args.path);
      const want = Math.min(args.max_bytes ?? FILE_CHUNK_BYTES, FILE_CHUNK_BYTES);
      const chunk = await files.read(args.session_id, name, args.offset, want);
      const atEnd = args.offset + chunk.data.length >= chunk.size;
      const uri = fileUri(args.session_id, name);
      // The name is in the page twice and its URI once: a long one leaves less room for content.
      const pageRoom = Math.max(
        256,
        room - 2 * utf8Bytes(JSON.stringify(name)) - utf8Bytes(JSON.stringify(uri)),
      );
      let fitted;
      try {
        fitted = fitChunk(chunk.data, atEnd, args.encoding, pageRoom);
      } catch (error) {
        throw new PymcpError('input_invalid', (error as Error).message);
      }
      // A piece too short for even one character (max_bytes: 1 on a multi-byte one) goes as base64.
      if (fitted.encoding === 'text' && fitted.bytes === 0 && chunk.data.length > 0) {
        fitted = fitChunk(chunk.data, atEnd, 'base64', pageRoom);
      }
      const end = args.offset + fitted.bytes;
      const next = end < chunk.size ? end : null;
      const range =
        chunk.size === 0
          ? 'empty file'
          : args.offset >= chunk.size
            ? `offset ${args.offset} is past the end (${chunk.size} bytes)`
            : `bytes ${args.offset}-${end - 1} of ${chunk.size}`;
      const more =
        next === null ? 'end of file' : `more: call again with offset ${next} for the rest`;
      return {
        content: [
          {
            type: 'text',
            text: `${SCRATCH_ROOT}/${name}: ${range}, ${fitted.encoding === 'text' ? 'as text' : 'as base64'} in the next item; ${more}.`,
          },
          { type: 'text', text: fitted.content },
        ],
        structuredContent: {
          session_id: args.session_id,
          path: name,
          uri,
          mime_type: mimeTypeOf(name),
          size: chunk.size,
          offset: args.offset,
          bytes: fitted.bytes,
          next_offset: next,
          encoding: fitted.encoding,
        },
      };
    },
  );

  tools.register(
    'list_files',
    {
      title: "List a session's files",
      description: `The regular files in a session's scratch directory (${SCRATCH_ROOT} in its sandbox), with sizes: uploads, and what its code wrote (files it writes under ${SCRATCH_ROOT}/outputs are also linked from the run's result). Hidden names (starting with "."), links and names download_file cannot take (counted in unlisted) are left out. Paged.`,
      inputSchema: {
        session_id: sessionId,
        limit: z.number().int().min(1).max(1000).default(LIST_LIMIT).describe('Most files'),
        offset: z.number().int().min(0).default(0).describe('Files to skip, for the next page'),
      },
      outputSchema: {
        session_id: z.string(),
        total: z.number(),
        offset: z.number(),
        truncated: z.boolean(),
        unlisted: z.number(),
        files: z.array(
          z.object({ path: z.string(), size: z.number(), modified: z.string(), uri: z.string() }),
        ),
      },
      annotations: READS,
    },
    async (args) => {
      const listing = await files.list(args.session_id);
      const items: Array<FileEntry & { uri: string }> = [];
      const lines: string[] = [];
      // A page holds what fits the response budget (text and structuredContent both name each
      // file), at least one file so that paging goes on.
      let used = 0;
      for (const entry of listing.entries.slice(args.offset, args.offset + args.limit)) {
        const item = { ...entry, uri: fileUri(args.session_id, entry.path) };
        const line = `${entry.path}  ${entry.size} bytes  ${entry.modified}`;
        used += utf8Bytes(JSON.stringify(item)) + utf8Bytes(JSON.stringify(line));
        if (used > room && items.length > 0) break;
        items.push(item);
        lines.push(line);
      }
      const total = listing.entries.length;
      const end = args.offset + items.length;
      const notes = [
        end < total ? `more: call again with offset ${end}` : null,
        listing.truncated ? 'the listing stopped at its bound; some files are not shown' : null,
        listing.unlisted > 0
          ? `${listing.unlisted} file${listing.unlisted === 1 ? ' is' : 's are'} not listed: their names (bytes that are not UTF-8, control characters, a backslash, or too long) cannot be given to download_file; rename them with run_python_code`
          : null,
      ].filter((note) => note !== null);
      const heading =
        total === 0
          ? `No files in ${SCRATCH_ROOT} of session ${args.session_id}.`
          : `${total} file${total === 1 ? '' : 's'} in ${SCRATCH_ROOT} of session ${args.session_id}${shown(args.offset, items.length, total)}:`;
      return {
        content: [
          {
            type: 'text',
            text: [heading, ...lines, ...notes.map((note) => `(${note})`)].join('\n'),
          },
        ],
        structuredContent: {
          session_id: args.session_id,
          total,
          offset: args.offset,
          truncated: listing.truncated,
          unlisted: listing.unlisted,
          files: items,
        },
      };
    },
  );
}

/** Which files of the listing a page shows, when not all: " (3-4 shown)", or none past the end. */
function shown(offset: number, count: number, total: number): string {
  if (count === total) return '';
  if (count === 0) return ` (none from offset ${offset}: the last is at offset ${total - 1})`;
  return ` (${offset + 1}-${offset + count} shown)`;
}

/** Upload content -> bytes; base64 is checked strictly (a typo is an error, not lost bytes). */
function decodeContent(content: string, encoding: 'text' | 'base64'): Buffer {
  if (encoding === 'text') return Buffer.from(content, 'utf8');
  const compact = content.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new PymcpError(
      'input_invalid',
      'content is not valid base64 (A-Z, a-z, 0-9, +, / and = padding, length a multiple of 4)',
    );
  }
  return Buffer.from(compact, 'base64');
}
