/**
 * Graceful stop of `serve --http`. On the first SIGTERM or SIGINT the server drains: readiness
 * goes false and new MCP sessions are refused (503) at once, while the open sessions keep being
 * served, until no call is in flight or the deadline passes. Then every session is closed (a call
 * still running is cancelled: its sandbox is killed), the sandboxes and the language server are
 * stopped, and the caller exits 0. A second signal skips the rest of the wait.
 */
import type { Logger } from '../shared/log.js';
import type { HttpServer } from './http.js';

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Resolves with the next stop signal; `cancel` removes the listeners. */
export function nextStopSignal(): { signal: Promise<NodeJS.Signals>; cancel(): void } {
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const cancel = (): void => {
    for (const name of STOP_SIGNALS) process.off(name, stop);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    stop = (name) => {
      cancel();
      resolve(name);
    };
  });
  for (const name of STOP_SIGNALS) process.on(name, stop);
  return { signal, cancel };
}

/** How the drain ended: every call finished, the deadline passed, or a second signal came. */
export type DrainEnd = 'quiet' | 'deadline' | 'signal';

/** Drain `http` for at most `deadlineMs`, then close it and `closeRest` (the runtime). */
export async function drainAndClose(
  http: HttpServer,
  closeRest: () => Promise<void>,
  options: { deadlineMs: number; logger: Logger; signal: NodeJS.Signals },
): Promise<DrainEnd> {
  const { logger, deadlineMs } = options;
  logger.info(
    `${options.signal}: draining: new sessions are refused, ${http.sessions} open sessions are served for up to ${deadlineMs / 1000} s until their calls finish (send it again to stop now)`,
  );
  const again = nextStopSignal();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<DrainEnd>((resolve) => {
    timer = setTimeout(() => {
      resolve('deadline');
    }, deadlineMs);
  });
  const end = await Promise.race([
    http.drain().then((): DrainEnd => 'quiet'),
    deadline,
    again.signal.then((): DrainEnd => 'signal'),
  ]);
  clearTimeout(timer);
  again.cancel();
  if (end === 'quiet') logger.info('drained: no call in flight; closing');
  else
    logger.warn(
      `drain ended by ${end === 'signal' ? 'a second signal' : 'its deadline'}; cancelling the calls still running`,
    );
  await http.close();
  await closeRest();
  return end;
}
