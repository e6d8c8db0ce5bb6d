/**
 * Leveled, structured loggers on pino. Every line is one JSON object (pino's fast serialiser):
 *   {"level":"info","time":"2026-12-07T01:02:03.456Z","broker":1,"component":"group-coordinator","msg":"..."}
 * plus `err` ({type, message, stack}) when an exception is passed, and any context fields given to
 * `bind()`. On a terminal (the process sink writing to a TTY stderr) lines are printed by
 * pino-pretty instead: `01:02:03.456 INFO: [broker 1] [group-coordinator] ...`; `format` forces one.
 *
 * Kafka's rule (log4j): a hierarchy of named loggers, each with a level inherited from its parent
 * unless set, changed at runtime through DescribeConfigs/IncrementalAlterConfigs on the
 * BROKER_LOGGER resource. Samsa's loggers are per component, not per class: `child('network')`
 * names the component `network`, `child('cluster').child('controller')` is `cluster.controller`
 * (whose level falls back to `cluster`'s, then to the root level). `child('broker N')` is special:
 * it becomes the field `broker: N` and starts a level set of its own (a broker's levels never
 * change another broker's in the same process). `setLevel(level, component?)` changes the root
 * level of the set or one component's; `levels()` lists what is set.
 *
 * A `Logger` has a sink (where finished lines go, each ending with a newline): a broker owns one
 * (`startBroker({ logger: { sink, level } })`) and passes it down explicitly, so two brokers in one
 * process write apart. The process logger `log` (the process sink: stderr, or what setLogSink
 * installed; level from SAMSA_LOG_LEVEL, else info) remains for the CLI and code used outside a
 * broker; a Logger made without a sink writes to the process sink.
 *
 * Log injection: messages embed client-supplied strings (client.id, member ids, group and topic
 * names), so control characters in messages and in error texts are escaped before serialising
 * (\n \r \t, \xNN for other C0/C1 controls and DEL, \u2028/\u2029): JSON would keep a line intact
 * anyway, but the pretty printer and whoever prints a decoded `msg` must not be fooled either.
 * Stack frames (ours) are kept as they are.
 */
import { createRequire } from 'node:module';
import { pino, stdTimeFunctions, type Logger as PinoLogger } from 'pino';

/** pino-pretty (CommonJS) is loaded on first use: a broker logging JSON never reads it (start-up time). */
const loadPretty = (): typeof import('pino-pretty') => createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');

const LEVELS = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 } as const;
export type LogLevel = keyof typeof LEVELS;
/** The levels by name, lowest threshold first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.keys(LEVELS) as LogLevel[];

export function isLogLevel(s: string): s is LogLevel {
  return Object.hasOwn(LEVELS, s);
}

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

function envLevel(): LogLevel {
  const env = process.env['SAMSA_LOG_LEVEL'];
  return env !== undefined && isLogLevel(env) ? env : 'info';
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

/** An exception as logged: type, escaped message, stack with its first line escaped and frames as-is. */
function serializeError(err: unknown): { type: string; message: string; stack?: string; code?: unknown } {
  if (!(err instanceof Error)) return { type: typeof err, message: escapeControl(String(err)) };
  const head = err.message === '' ? err.name : `${err.name}: ${err.message}`;
  const out: { type: string; message: string; stack?: string; code?: unknown } = { type: err.name, message: escapeControl(err.message) };
  const stack = err.stack;
  if (stack !== undefined) {
    if (stack.startsWith(head)) out.stack = escapeControl(head) + stack.slice(head.length);
    else {
      const frames = stack.search(/\n\s+at /);
      out.stack = frames < 0 ? escapeControl(stack) : escapeControl(stack.slice(0, frames)) + stack.slice(frames);
    }
  }
  const code: unknown = Reflect.get(err, 'code');
  if (code !== undefined) out.code = code;
  return out;
}

/** How lines are written: one JSON object per line, or pino-pretty's human-readable lines. */
export type LogFormat = 'json' | 'pretty';

/**
 * The levels of a logger tree: a root level and per-component overrides, shared by a logger and
 * its children (a `broker N` child starts a set of its own). `version` lets loggers cache.
 */
class LevelSet {
  version = 0;
  readonly overrides = new Map<string, LogLevel>();
  /** Components that have a logger in this set (the loggers a BROKER_LOGGER request may name). */
  readonly known = new Set<string>();
  constructor(public root: LogLevel) {}

  /** The level of `component` (a dotted path): its own, else its nearest ancestor's, else the root's. */
  levelOf(component: string): LogLevel {
    let c = component;
    while (c !== '') {
      const l = this.overrides.get(c);
      if (l !== undefined) return l;
      const dot = c.lastIndexOf('.');
      c = dot < 0 ? '' : c.slice(0, dot);
    }
    return this.root;
  }
}

export interface LoggerOptions {
  /** Where lines go; default the process sink (stderr unless setLogSink installed another). */
  sink?: LogSink;
  /** Lowest level written; default SAMSA_LOG_LEVEL, else info. */
  level?: LogLevel;
  /** Default: pretty when writing to the process sink while that is stderr on a terminal, else json. */
  format?: LogFormat;
}

const TTY = process.stderr.isTTY === true;

/** pino-pretty's formatter for Samsa's fields: `[broker N] [component] message`. */
function prettifier(colorize: boolean): (line: string) => string {
  return loadPretty().prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    // The request log's fields repeat its message; other context fields follow on the same line.
    ignore: 'broker,component,api,apiVersion,ms',
    singleLine: true,
    messageFormat: (log, key) => {
      const broker = log['broker'];
      const component = log['component'];
      const tag = typeof component === 'string' && component !== 'broker' && component !== 'samsa' ? `[${component}] ` : '';
      return `${typeof broker === 'number' ? `[broker ${broker}] ` : ''}${tag}${String(log[key])}`;
    },
  });
}
let ttyPretty: ((line: string) => string) | null = null;

/**
 * The pino logger of a sink: JSON lines with an ISO time and the level's name. Without a format,
 * a logger on the process sink prints pretty lines while that sink is stderr on a terminal
 * (decided per line: a test process installs its own sink later).
 */
function pinoFor(sink: LogSink, format: LogFormat | undefined): PinoLogger {
  let write: (s: string) => void = sink;
  if (format === 'pretty') {
    const prettify = prettifier(false);
    write = (s) => sink(prettify(s));
  } else if (format === undefined && sink === toProcessSink && TTY) {
    write = (s) => {
      if (processSink !== stderrSink) return processSink(s);
      ttyPretty ??= prettifier(true);
      stderrSink(ttyPretty(s));
    };
  }
  return pino(
    {
      level: 'trace',
      base: null,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // `err` is already serialised (escaped) by serializeError.
      serializers: { err: (e: unknown) => e },
    },
    { write },
  );
}

export class Logger {
  private levels: LevelSet;
  private pino: PinoLogger;
  /** Dotted component path ('' for a root or broker logger). */
  readonly component: string;
  private cachedVersion = -1;
  private threshold = 0;
  /** A `broker N` logger or one of its descendants. */
  private isBroker = false;

  constructor(opts: LoggerOptions = {}) {
    this.levels = new LevelSet(opts.level ?? envLevel());
    this.pino = pinoFor(opts.sink ?? toProcessSink, opts.format);
    this.component = '';
  }

  private static derived(pinoLogger: PinoLogger, component: string, levels: LevelSet, isBroker: boolean): Logger {
    const c = Object.create(Logger.prototype) as Logger;
    c.isBroker = isBroker;
    c.levels = levels;
    c.pino = pinoLogger;
    (c as { component: string }).component = component;
    c.cachedVersion = -1;
    c.threshold = 0;
    return c;
  }

  /**
   * A logger for a component (`name`, appended to this one's path with a dot), writing to this
   * one's sink. `broker N` instead adds the field broker=N and gives the child its own level set,
   * starting from this logger's current levels.
   */
  child(name: string): Logger {
    const broker = /^broker (-?\d+)$/.exec(name);
    if (broker !== null) {
      const own = new LevelSet(this.levels.root);
      for (const [k, v] of this.levels.overrides) own.overrides.set(k, v);
      for (const k of this.levels.known) own.known.add(k);
      return Logger.derived(this.pino.child({ broker: Number(broker[1]) }), this.component, own, true);
    }
    const component = this.component === '' ? escapeControl(name) : `${this.component}.${escapeControl(name)}`;
    this.levels.known.add(component);
    return Logger.derived(this.pino, component, this.levels, this.isBroker);
  }

  /** A logger with context fields on every line (e.g. a connection's id and address); same component and levels. */
  bind(fields: Record<string, string | number | boolean>): Logger {
    const safe: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(fields)) safe[k] = typeof v === 'string' ? escapeControl(v) : v;
    return Logger.derived(this.pino.child(safe), this.component, this.levels, this.isBroker);
  }

  /**
   * Sets the root level of this logger's set (shared with its parent and children, up to the
   * nearest broker logger), or, with `component`, that component's level (null: back to inherited).
   */
  setLevel(level: LogLevel | null, component?: string): void {
    if (component === undefined || component === '' || component === 'root') {
      if (level !== null) this.levels.root = level;
    } else if (level === null) this.levels.overrides.delete(component);
    else this.levels.overrides.set(component, level);
    this.levels.version++;
  }

  /** The root level and every component level set, as [component, level] ('root' first). */
  levelSettings(): [string, LogLevel][] {
    return [['root', this.levels.root], ...[...this.levels.overrides].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))];
  }

  /** Every component with a logger in this logger's level set, sorted. */
  components(): string[] {
    return [...this.levels.known].sort();
  }

  /** The effective level of `component` (default: this logger's). */
  levelOf(component: string = this.component): LogLevel {
    return this.levels.levelOf(component);
  }

  enabled(level: LogLevel): boolean {
    if (this.cachedVersion !== this.levels.version) {
      this.threshold = LEVELS[this.levels.levelOf(this.component)];
      this.cachedVersion = this.levels.version;
    }
    return LEVELS[level] <= this.threshold;
  }

  error(msg: string, err?: unknown, fields?: Record<string, unknown>): void {
    if (this.enabled('error')) this.emit('error', msg, err, fields);
  }

  warn(msg: string, err?: unknown, fields?: Record<string, unknown>): void {
    if (this.enabled('warn')) this.emit('warn', msg, err, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    if (this.enabled('info')) this.emit('info', msg, undefined, fields);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (this.enabled('debug')) this.emit('debug', msg, undefined, fields);
  }

  trace(msg: string, fields?: Record<string, unknown>): void {
    if (this.enabled('trace')) this.emit('trace', msg, undefined, fields);
  }

  private emit(level: Exclude<LogLevel, 'fatal'>, msg: string, err: unknown, fields: Record<string, unknown> | undefined): void {
    // Every line names its component: the logger's path, else `broker` (a broker's own lines) or `samsa` (the process's).
    const obj: Record<string, unknown> = { component: this.component !== '' ? this.component : this.isBroker ? 'broker' : 'samsa' };
    if (fields !== undefined) Object.assign(obj, fields);
    if (err !== undefined) obj['err'] = serializeError(err);
    this.pino[level](obj, escapeControl(msg));
  }
}

/** The process logger: the process sink, level from SAMSA_LOG_LEVEL (see setLogLevel). */
export const log = new Logger();

/** Sets the process logger's level. */
export function setLogLevel(level: LogLevel): void {
  log.setLevel(level);
}
