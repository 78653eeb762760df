/** Logging to stderr only: under stdio, stdout is the MCP channel. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** text: one readable line per entry; json: one JSON object per line (time, level, msg, detail). */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Logger {
  debug(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = stderrWrite,
  format: LogFormat = 'text',
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (message: string, detail?: unknown): void => {
      if (LOG_LEVELS.indexOf(name) < threshold) return;
      write(logLine(format, name, message, detail));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent');

/** One log entry as a line of `format`, newline included. */
export function logLine(
  format: LogFormat,
  level: Exclude<LogLevel, 'silent'>,
  message: string,
  detail?: unknown,
): string {
  if (format === 'json') {
    const entry = {
      time: new Date().toISOString(),
      level,
      msg: message,
      ...(detail !== undefined && { detail: formatDetail(detail) }),
    };
    // JSON.stringify escapes newlines and control characters: one entry is always one line.
    return `${JSON.stringify(entry)}\n`;
  }
  const suffix = detail === undefined ? '' : ` ${formatDetail(detail)}`;
  return `isolated-pymcp ${level}: ${message}${suffix}\n`;
}

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
