/** Logging to stderr only: under stdio, stdout is the MCP channel. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = stderrWrite): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (message: string, detail?: unknown): void => {
      if (LOG_LEVELS.indexOf(name) < threshold) return;
      const suffix = detail === undefined ? '' : ` ${formatDetail(detail)}`;
      write(`isolated-pymcp ${name}: ${message}${suffix}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent');

function stderrWrite(line: string): void {
  process.stderr.write(line);
}

function formatDetail(detail: unknown): string {
  if (detail instanceof Error) {
    const cause = detail.cause === undefined ? '' : ` (cause: ${formatDetail(detail.cause)})`;
    return `${detail.stack ?? detail.message}${cause}`;
  }
  try {
    return JSON.stringify(detail);
  } catch {
    return String(detail);
  }
}
