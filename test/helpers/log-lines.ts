/**
 * Reading Samsa's JSON log lines (common/logger.ts) in tests: one JSON object per line with
 * level, time, msg and, for a broker's lines, broker and component. Other lines (a CLI's banner on
 * the same stream, partial lines) are skipped.
 */
export interface LogRecord {
  level: string;
  time: string;
  msg: string;
  broker?: number;
  component?: string;
  err?: { type: string; message: string; stack?: string };
  [field: string]: unknown;
}

/** The log records in `text` (JSON lines; anything else is skipped). */
export function logRecords(text: string | readonly string[]): LogRecord[] {
  const lines = typeof text === 'string' ? text.split('\n') : text.flatMap((t) => t.split('\n'));
  const out: LogRecord[] = [];
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l) as unknown;
      if (o !== null && typeof o === 'object' && typeof (o as LogRecord).msg === 'string' && typeof (o as LogRecord).level === 'string') out.push(o as LogRecord);
    } catch {
      // not a log line
    }
  }
  return out;
}

/** The records at `level` whose message matches `re`. */
export function logged(text: string | readonly string[], level: string, re: RegExp): LogRecord[] {
  return logRecords(text).filter((r) => r.level === level && re.test(r.msg));
}

/** A record as the old text format printed it ("LEVEL [broker N] [component] msg"; the default components `broker` and `samsa` are not shown). */
export function describeRecord(r: LogRecord): string {
  const component = r.component !== undefined && r.component !== 'broker' && r.component !== 'samsa' ? `[${r.component}] ` : '';
  return `${r.level.toUpperCase()} ${r.broker !== undefined ? `[broker ${r.broker}] ` : ''}${component}${r.msg}`;
}
