/**
 * Graceful stop of `serve --http`. On the first SIGTERM or SIGINT the server drains: readiness
 * goes false and new MCP sessions are refused (503) at once, while the open sessions keep being
 * served, until no call is in flight or the deadline passes. Then the calls still running are
 * cancelled (their sandboxes killed) and answered with an error that says so, every session is
 * closed, the sandboxes and the language server are stopped, and the caller exits 0. A second
 * signal skips the rest of the wait.
 */
import type { Logger } from '../shared/log.js';
import type { HttpServer } from './http.js';

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Resolves with the next stop signal, also kept in `received` (null until then); `cancel`
 * removes the listeners.
 */
export function nextStopSignal(): {
  signal: Promise<NodeJS.Signals>;
  readonly received: NodeJS.Signals | null;
  cancel(): void;
} {
  let received: NodeJS.Signals | null = null;
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const cancel = (): void => {
    for (const name of STOP_SIGNALS) process.off(name, stop);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    stop = (name) => {
      cancel();
      received = name;
      resolve(name);
    };
  });
  for (const name of STOP_SIGNALS) process.on(name, stop);
  return {
    signal,
    get received() {
      return received;
    },
    cancel,
  };
}

/** How the drain ended: every call finished, the deadline passed, or a second signal came. */
export type DrainEnd = 'quiet' | 'deadline' | 'signal';

/**
 * How long cancelled calls get to be answered before their sessions close: an interrupt, its
 * grace period (1.5 s by default), the kill, and the answer.
 */
const CANCEL_GRACE_MS = 10_000;

/**
 * Drain `http` for at most `deadlineMs`; then `cancelCalls` (which aborts the calls still
 * running), and close `http` and `closeRest` (the runtime).
 */
export async function drainAndClose(
  http: HttpServer,
  closeRest: () => Promise<void>,
  options: {
    deadlineMs: number;
    logger: Logger;
    signal: NodeJS.Signals;
    cancelCalls: () => void;
  },
): Promise<DrainEnd> {
  const { logger, deadlineMs } = options;
  logger.info(
    `${options.signal}: draining: new sessions are refused, ${http.sessions} open sessions are served for up to ${deadlineMs / 1000} s until their calls finish (send it again to stop now)`,
  );
  const again = nextStopSignal();
  const quiet = http.drain();
  const end = await Promise.race([
    quiet.then((): DrainEnd => 'quiet'),
    delay(deadlineMs).then((): DrainEnd => 'deadline'),
    again.signal.then((): DrainEnd => 'signal'),
  ]);
  again.cancel();
  // From here on a signal changes nothing: the process is closing as fast as it can.
  const closing = (name: NodeJS.Signals): void => {
    logger.info(`${name}: already closing`);
  };
  for (const name of STOP_SIGNALS) process.on(name, closing);
  try {
    if (end === 'quiet') logger.info('drained: no call in flight; closing');
    else {
      logger.warn(
        `drain ended by ${end === 'signal' ? 'a second signal' : 'its deadline'}; cancelling the calls still running`,
      );
      options.cancelCalls();
      // Let the cancelled calls send their answers before the sessions close.
      await Promise.race([quiet, delay(CANCEL_GRACE_MS)]);
    }
    await http.close();
    await closeRest();
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, closing);
  }
  return end;
}

/** Resolves after `ms`; its timer never keeps the process alive on its own. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
