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
  kind: z.enum(['json', 'repr']),
  text: z.string(),
  truncated: z.boolean(),
});
export type ReturnValue = z.infer<typeof ReturnValueSchema>;

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
});
export type WorkerResult = z.infer<typeof ResultSchema>;

export const WorkerMessageSchema = z.discriminatedUnion('type', [ReadySchema, ResultSchema]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Traceback and message text the worker may send (it caps them; this is the backstop). */
const ERROR_TEXT_BYTES = 256 * 1024;

/**
 * Largest protocol line accepted from a worker. JSON escaping can grow text up to 6x
 * (`\u00e9`-style escapes), so this bounds captured output and the return value after escaping.
 */
export function maxWorkerLineBytes(limits: Limits): number {
  const output = 2 * (limits.outputBytes + outputTailBytes(limits));
  return 6 * (output + limits.returnValueBytes + ERROR_TEXT_BYTES) + 64 * 1024;
}

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
