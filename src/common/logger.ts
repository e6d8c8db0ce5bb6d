/**
 * Leveled loggers. A `Logger` has a sink (where finished lines go), a level and tags: a broker
 * owns one (`new Broker(config, { logger })`, `startBroker({ logger: { sink, level } })`), tagged
 * `[broker <node.id>]`, and passes it down explicitly like its scheduler (log manager, partition
 * logs, coordinators, network, handlers), so two brokers in one process write apart and can be
 * captured apart. `child(tag)` adds a tag (`[broker 2] [group-coordinator]`) and shares the
 * parent's sink and level. The process logger `log` (stderr, or the sink installed with
 * setLogSink; level from SAMSA_LOG_LEVEL, error|warn|info|debug) remains for the CLI and for code
 * used outside a broker (storage classes used alone default to it); a Logger made without a sink
 * writes to the process sink.
 *
 * Log injection: messages embed client-supplied strings (client.id, member ids, group, topic and
 * transactional ids, error texts built from them), so every message has its control characters
 * escaped before it is written: a client.id of "x\nERROR forged" prints as `x\nERROR forged` on one
 * line. Newline, CR and tab become \n \r \t; other C0 controls, DEL and C1 controls become \xNN;
 * the line and paragraph separators U+2028/U+2029 become \u2028/\u2029. Tags are escaped the same
 * way. Exceptions passed as `err` keep their stack trace on the following lines (the frames are
 * ours), but the first line of the stack, which repeats the error's message, is escaped like any
 * message.
 */
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof LEVELS;
export type LogLevel = Level;

/** Where finished log lines go (each ends with a newline). */
export type LogSink = (line: string) => void;
const stderrSink: LogSink = (line) => void process.stderr.write(line);
let processSink: LogSink = stderrSink;
/** The process sink as installed now (stderr unless setLogSink put another in). */
const toProcessSink: LogSink = (line) => processSink(line);

/**
 * Installs `s` as the process's log sink (null: back to stderr); returns the previous one. It
 * serves the process logger `log` and every Logger made without a sink of its own.
 */
export function setLogSink(s: LogSink | null): LogSink {
  const previous = processSink;
  processSink = s ?? stderrSink;
  return previous;
}

function envLevel(): Level {
  const env = process.env['SAMSA_LOG_LEVEL'];
  return env !== undefined && env in LEVELS ? (env as Level) : 'info';
}

// C0 controls, DEL, C1 controls, U+2028/U+2029 (and a backslash is left alone: it cannot end a line).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
  }
  const code = c.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}

/** The text with every control character escaped, so it prints on one line and forges nothing. */
export function escapeControl(text: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text) ? text.replace(CONTROL, escapeChar) : text;
}

/** An exception as printed after a message: escaped "Name: message", then the stack frames as-is. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return escapeControl(String(err));
  const head = err.message === '' ? err.name : `${err.name}: ${err.message}`;
  const stack = err.stack;
  if (stack === undefined) return escapeControl(head);
  if (stack.startsWith(head)) return escapeControl(head) + stack.slice(head.length);
  // A stack that does not start with the message (custom name or overridden stack): escape the
  // part up to the first frame line, keep the frames.
  const frames = stack.search(/\n\s+at /);
  return frames < 0 ? escapeControl(stack) : escapeControl(stack.slice(0, frames)) + stack.slice(frames);
}

/** A sink and a level, shared by a logger and its children. */
interface Output {
  sink: LogSink;
  threshold: number;
}

export interface LoggerOptions {
  /** Where lines go; default the process sink (stderr unless setLogSink installed another). */
  sink?: LogSink;
  /** Lowest level written; default SAMSA_LOG_LEVEL, else info. */
  level?: LogLevel;
}

export class Logger {
  private out: Output;
  /** "[tag] [tag] " (escaped), or ''. */
  private prefix = '';

  constructor(opts: LoggerOptions = {}) {
    this.out = { sink: opts.sink ?? toProcessSink, threshold: LEVELS[opts.level ?? envLevel()] };
  }

  /** A logger whose lines also carry `[tag]`, writing to this one's sink at this one's level. */
  child(tag: string): Logger {
    const c = new Logger();
    c.out = this.out;
    c.prefix = `${this.prefix}[${escapeControl(tag)}] `;
    return c;
  }

  /** Sets the level of this logger, its parent and its children (they share it). */
  setLevel(level: LogLevel): void {
    this.out.threshold = LEVELS[level];
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] <= this.out.threshold;
  }

  error(msg: string, err?: unknown): void {
    this.emit('error', msg, err);
  }

  warn(msg: string, err?: unknown): void {
    this.emit('warn', msg, err);
  }

  info(msg: string): void {
    this.emit('info', msg);
  }

  debug(msg: string): void {
    this.emit('debug', msg);
  }

  private emit(level: Level, msg: string, err?: unknown): void {
    if (LEVELS[level] > this.out.threshold) return;
    const line = `[${new Date().toISOString()}] ${level.toUpperCase()} ${this.prefix}${escapeControl(msg)}`;
    this.out.sink(err === undefined ? `${line}\n` : `${line}: ${describeError(err)}\n`);
  }
}

/** The process logger: the process sink, level from SAMSA_LOG_LEVEL (see setLogLevel). */
export const log = new Logger();

/** Sets the process logger's level. */
export function setLogLevel(level: Level): void {
  log.setLevel(level);
}
