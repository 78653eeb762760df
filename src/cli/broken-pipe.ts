/**
 * A reader that goes away is not a failure of the command: `isolated-pymcp analyze --list |
 * head -1`, or a client that stops reading the server's log. Node ignores SIGPIPE, so a write
 * to a closed pipe fails with EPIPE, emitted as an 'error' event that, unhandled, crashes the
 * process with a stack trace. Here the output to a closed pipe is dropped (Node discards every
 * later write to a stream that failed), and the command goes on: it still closes its sandboxes
 * and exits with its own status. serve's stdio transport closes its connection on the same
 * error.
 */

/**
 * Drop the output to `stdout`/`stderr` once its reader has gone. Any other error is left to the
 * stream's other listeners (serve's transport), else it fails the process as it did before.
 */
export function ignoreClosedReaders(streams: readonly NodeJS.WritableStream[]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && stream.listenerCount('error') === 1) throw error;
    });
  }
}
