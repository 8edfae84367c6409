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
  /**
   * Default: info and debug to stdout, warn and error to stderr, written once per turn of the
   * event loop (and at exit), not in the middle of a request.
   */
  readonly write?: (level: LogLevel, line: string) => void;
}

const rank: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * The default sink: info and debug lines to stdout, warn and error to stderr, each stream
 * written once per turn of the event loop (`setImmediate`) with every line logged meanwhile.
 * Writing at once would put a `write(2)` — and, on a pipe, a wake-up of the reader (journald,
 * a supervisor) — between a request's handler and its response, and between a change and its
 * push to the peers; batched, the log costs one write per turn however busy the node is.
 * Lines still pending when the process exits are written synchronously by the `exit` handler.
 */
class BatchedWriter {
  readonly #pending: { out: string[]; err: string[] } = { out: [], err: [] };
  #scheduled = false;
  #exitHook = false;

  write(level: LogLevel, line: string): void {
    (rank[level] >= rank.warn ? this.#pending.err : this.#pending.out).push(line);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.flush);
    if (!this.#exitHook) {
      this.#exitHook = true;
      process.once('exit', this.flush);
    }
  }

  /** Writes every pending line now. */
  readonly flush = (): void => {
    this.#scheduled = false;
    const { out, err } = this.#pending;
    // stdout and stderr are synchronous for files and pipes on Linux: the lines are written when this returns.
    if (out.length > 0) process.stdout.write(out.splice(0).join(''));
    if (err.length > 0) process.stderr.write(err.splice(0).join(''));
  };
}

let defaultWriter: BatchedWriter | undefined;

function defaultWrite(level: LogLevel, line: string): void {
  (defaultWriter ??= new BatchedWriter()).write(level, line);
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
