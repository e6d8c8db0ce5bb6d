/**
 * Broker logs of a test process, held back and printed only for a test that fails (see
 * quiet-logs.ts, which scripts/run-tests.mjs preloads into every test process). Two sources:
 *   - in-process brokers started without a logger of their own: they write to the process sink
 *     (installed as the log sink), tagged [broker <id>];
 *   - child-process brokers (broker-process.ts): their captured stdout/stderr, registered here.
 * Without the preload nothing is installed and brokers log to stderr as usual.
 */

/** Lines kept at most (the oldest go first): a failing test needs the recent past, not all of it. */
const MAX_LINES = 20_000;

let lines: string[] = [];
let dropped = 0;

interface ChildCapture {
  label: string;
  text: () => string;
  /** How much of `text()` belongs to tests already finished. */
  from: number;
}
const children = new Set<ChildCapture>();

/** The log sink for in-process brokers: keeps the line for a possible failure report. */
export function holdLine(line: string): void {
  lines.push(line);
  if (lines.length > MAX_LINES) {
    const cut = lines.length - MAX_LINES;
    lines = lines.slice(cut);
    dropped += cut;
  }
}

/** Registers a child process's captured output; returns a function that unregisters it. */
export function captureChildOutput(label: string, text: () => string): () => void {
  const c: ChildCapture = { label, text, from: 0 };
  children.add(c);
  return () => void children.delete(c);
}

/** Forgets what was logged so far (the test that produced it passed). */
export function discardHeld(): void {
  lines = [];
  dropped = 0;
  for (const c of children) c.from = c.text().length;
}

/** Everything held since the last discard, with a header per source; '' when there is nothing. */
export function takeHeld(title: string): string {
  const parts: string[] = [];
  if (lines.length > 0) {
    parts.push(`----- ${title}: in-process broker log${dropped > 0 ? ` (${dropped} earlier lines dropped)` : ''} -----\n${lines.join('')}`);
  }
  for (const c of children) {
    const t = c.text().slice(c.from);
    if (t.trim() !== '') parts.push(`----- ${title}: ${c.label} -----\n${t.endsWith('\n') ? t : `${t}\n`}`);
  }
  discardHeld();
  return parts.length === 0 ? '' : `${parts.join('')}----- end of ${title} -----\n`;
}
