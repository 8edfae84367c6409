/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where the app writes its structured logs. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  readonly minLevel?: LogLevel;
  /** Default: info and debug to stdout, warn and error to stderr. */
  readonly write?: (level: LogLevel, line: string) => void;
}

const rank: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

function defaultWrite(level: LogLevel, line: string): void {
  (rank[level] >= rank.warn ? process.stderr : process.stdout).write(line);
}

/**
 * A logger that writes one JSON object per line: `{"time","level","msg",...fields}`.
 *
 * @example
 * ```ts
 * createJsonLogger().log('info', 'listening', { url: 'http://127.0.0.1:8000' });
 * ```
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const minRank = rank[options.minLevel ?? 'info'];
  const write = options.write ?? defaultWrite;
  return {
    log(level, message, fields = {}) {
      if (rank[level] < minRank) return;
      write(level, `${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
    },
  };
}

/** A logger that drops everything (the default of `createApp`). */
export const silentLogger: Logger = { log: () => undefined };
