/**
 * Messages between the server and python/worker.py: newline-delimited JSON over a socket on the
 * sandbox's fd 3. Everything the worker sends is parsed as hostile input (the code it runs shares
 * its process and could write to the socket).
 */
import { z } from 'zod';
import type { Limits } from '../shared/config.js';

export interface RunRequest {
  op: 'run';
  id: number;
  code: string;
  globals: Record<string, unknown> | null;
}

/** A file operation in the session's scratch directory (python/session_files.py). */
export type FileRequest = { op: 'file'; id: number } & (
  | { action: 'list' }
  | { action: 'read'; path: string; offset: number; length: number }
  | { action: 'write'; path: string; data: string; append: boolean }
);

/** Interrupt run `id` (KeyboardInterrupt in its code), for a timeout or a cancellation. */
export interface InterruptRequest {
  op: 'interrupt';
  id: number;
}

const PyErrorSchema = z.object({
  type: z.string().max(256),
  message: z.string(),
  traceback: z.string(),
});
export type PyError = z.infer<typeof PyErrorSchema>;

const ReturnValueSchema = z.object({
  /** table: a pandas DataFrame or Series, as text here and as records in `table`. */
  kind: z.enum(['json', 'repr', 'table']),
  text: z.string(),
  truncated: z.boolean(),
});
export type ReturnValue = z.infer<typeof ReturnValueSchema>;

/** Caps the worker applies to images; the server checks them again (images.ts). */
export const IMAGE_CAPS = {
  /** Images attached to one result; more are described in the text only. */
  maxCount: 8,
  /** Longest side in pixels (Claude scales larger images down to about this anyway). */
  maxSide: 1568,
  /** Pixels per image (about 1.2 megapixels, as Claude's vision guidance suggests). */
  maxPixels: 1_200_000,
  /** PNG bytes per image, before base64. */
  maxBytes: 384 * 1024,
} as const;

const base64Text = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

const ImageSchema = z.object({
  kind: z.enum(['figure', 'image']),
  label: z.string().max(2048),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  scaled: z.boolean(),
  data: base64Text,
});
export type WorkerImage = z.infer<typeof ImageSchema>;

const OmittedImageSchema = z.object({ label: z.string().max(2048), reason: z.string().max(512) });

const TableSchema = z.object({
  kind: z.enum(['DataFrame', 'Series']),
  rows: z.number().int().min(0),
  columns: z.number().int().min(0),
  column_names: z.array(z.string().max(256)).max(1000),
  /** JSON text of the first rows as records, or null when they cannot be made. */
  records: z.string().nullable(),
  records_rows: z.number().int().min(0),
});
export type WorkerTable = z.infer<typeof TableSchema>;

const OutputFileSchema = z.object({
  path: z.string().min(1).max(4096),
  size: z.number().int().min(0),
});

export const ReadySchema = z.object({ type: z.literal('ready'), python: z.string().max(64) });

export const ResultSchema = z.object({
  type: z.literal('result'),
  id: z.number().int(),
  status: z.enum(['completed', 'raised', 'interrupted']),
  output: z.array(z.tuple([z.union([z.literal(0), z.literal(1)]), z.string()])),
  dropped_bytes: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  tails: z.tuple([z.string(), z.string()]),
  return_value: ReturnValueSchema.optional(),
  error: PyErrorSchema.optional(),
  images: z.array(ImageSchema).max(IMAGE_CAPS.maxCount).optional(),
  images_omitted: z.array(OmittedImageSchema).max(100).optional(),
  images_omitted_count: z.number().int().min(0).optional(),
  table: TableSchema.optional(),
  files: z.array(OutputFileSchema).max(100).optional(),
  files_more: z.number().int().min(0).optional(),
});
export type WorkerResult = z.infer<typeof ResultSchema>;

export const FileAnswerSchema = z.object({
  type: z.literal('file'),
  id: z.number().int(),
  ok: z.boolean(),
  error: z.string().max(1024).optional(),
  size: z.number().int().min(0).optional(),
  offset: z.number().int().min(0).optional(),
  data: base64Text.optional(),
  entries: z
    .array(z.tuple([z.string().max(4096), z.number().int().min(0), z.number().int()]))
    .max(10_000)
    .optional(),
  truncated: z.boolean().optional(),
});
export type FileAnswer = z.infer<typeof FileAnswerSchema>;

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  ReadySchema,
  ResultSchema,
  FileAnswerSchema,
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Traceback and message text the worker may send (it caps them; this is the backstop). */
const ERROR_TEXT_BYTES = 256 * 1024;

/**
 * Largest protocol line accepted from a worker. JSON escaping can grow text up to 6x
 * (`\u00e9`-style escapes), so this bounds captured output and the return value after escaping.
 */
export function maxWorkerLineBytes(limits: Limits): number {
  const output = 2 * (limits.outputBytes + outputTailBytes(limits));
  // Images and file chunks are base64 (no escaping); table records are JSON text in a string.
  const media = 2 * limits.imageBytes + 2 * FILE_CHUNK_BYTES;
  return 6 * (output + 2 * limits.returnValueBytes + ERROR_TEXT_BYTES) + media + 64 * 1024;
}

/** Largest piece of a file moved in one message (upload or download), before base64. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/** Past the per-stream cap, the worker still keeps this many of the last bytes of each stream. */
export function outputTailBytes(limits: Limits): number {
  return Math.min(64 * 1024, limits.outputBytes);
}

/** Captured output of one run, in the order it was written. */
export interface CapturedOutput {
  chunks: ReadonlyArray<readonly [stream: 0 | 1, text: string]>;
  /** Bytes dropped between the head (chunks) and the tail of each stream: [stdout, stderr]. */
  droppedBytes: readonly [number, number];
  /** The last bytes of each stream past its cap, kept after the dropped middle: [stdout, stderr]. */
  tails: readonly [string, string];
}

export const NO_OUTPUT: CapturedOutput = { chunks: [], droppedBytes: [0, 0], tails: ['', ''] };
