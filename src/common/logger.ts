/**
 * Minimal leveled logger writing to stderr (or an installed sink, see setLogSink); level from
 * SAMSA_LOG_LEVEL (error|warn|info|debug).
 *
 * Log injection: messages embed client-supplied strings (client.id, member ids, group, topic and
 * transactional ids, error texts built from them), so every message has its control characters
 * escaped before it is written: a client.id of "x\nERROR forged" prints as `x\nERROR forged` on one
 * line. Newline, CR and tab become \n \r \t; other C0 controls, DEL and C1 controls become \xNN;
 * the line and paragraph separators U+2028/U+2029 become \u2028/\u2029. Exceptions passed as `err`
 * keep their stack trace on the following lines (the frames are ours), but the first line of the
 * stack, which repeats the error's message, is escaped like any message.
 */
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof LEVELS;
export type LogLevel = Level;

/**
 * Where finished log lines go (each ends with a newline). Process-wide, like the level: the
 * embedded API (`startBroker({ logger })`) and the test runner install one; default stderr.
 */
export type LogSink = (line: string) => void;
const stderrSink: LogSink = (line) => void process.stderr.write(line);
let sink: LogSink = stderrSink;

/** Installs `s` as the process's log sink (null: back to stderr); returns the previous one. */
export function setLogSink(s: LogSink | null): LogSink {
  const previous = sink;
  sink = s ?? stderrSink;
  return previous;
}

function currentLevel(): number {
  const env = process.env['SAMSA_LOG_LEVEL'];
  return env !== undefined && env in LEVELS ? LEVELS[env as Level] : LEVELS.info;
}

let threshold = currentLevel();

export function setLogLevel(level: Level): void {
  threshold = LEVELS[level];
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

function emit(level: Level, msg: string, err?: unknown): void {
  if (LEVELS[level] > threshold) return;
  const line = `[${new Date().toISOString()}] ${level.toUpperCase()} ${escapeControl(msg)}`;
  sink(err === undefined ? `${line}\n` : `${line}: ${describeError(err)}\n`);
}

export const log = {
  error: (msg: string, err?: unknown) => emit('error', msg, err),
  warn: (msg: string, err?: unknown) => emit('warn', msg, err),
  info: (msg: string) => emit('info', msg),
  debug: (msg: string) => emit('debug', msg),
  enabled: (level: Level) => LEVELS[level] <= threshold,
};
