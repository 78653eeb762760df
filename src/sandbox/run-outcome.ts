/**
 * What happened to one run of user code. A discriminated union, switched over exhaustively,
 * instead of a bag of flags.
 */
import type {
  CapturedOutput,
  PyError,
  ReturnValue,
  WorkerImage,
  WorkerTable,
} from './worker-protocol.js';

/** What a run made besides output and a value: images, a table, files in the outputs directory. */
export interface RunMedia {
  images: readonly WorkerImage[];
  /** Images described but not attached (over a cap), and how many there were in all. */
  imagesOmitted: ReadonlyArray<{ label: string; reason: string }>;
  imagesOmittedCount: number;
  table: WorkerTable | null;
  /** Files new or changed under the outputs directory, relative to the scratch root. */
  files: ReadonlyArray<{ path: string; size: number }>;
  filesMore: number;
}

interface Base {
  output: CapturedOutput;
  durationMs: number;
  media?: RunMedia;
}

export type RunOutcome =
  | (Base & { kind: 'completed'; returnValue: ReturnValue | null })
  | (Base & { kind: 'raised'; error: PyError })
  /** MemoryError under the address-space limit; the sandbox survives. */
  | (Base & { kind: 'memory_limit'; error: PyError; limitBytes: number })
  /** The wall-clock timeout passed. stateKept: the interrupt worked and the session lives on. */
  | (Base & {
      kind: 'timed_out';
      timeoutSeconds: number;
      stateKept: boolean;
      error: PyError | null;
    })
  /** The client cancelled the request. */
  | (Base & { kind: 'cancelled'; stateKept: boolean })
  /** The sandbox died under the code (CPU limit, os._exit, a signal it sent itself, ...). */
  | (Base & { kind: 'killed'; reason: string });

export type RunOutcomeKind = RunOutcome['kind'];

/** Whether the sandbox that ran this is still usable with its state. */
export function sandboxSurvived(outcome: RunOutcome): boolean {
  switch (outcome.kind) {
    case 'completed':
    case 'raised':
    case 'memory_limit':
      return true;
    case 'timed_out':
    case 'cancelled':
      return outcome.stateKept;
    case 'killed':
      return false;
    default:
      return assertNever(outcome);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
