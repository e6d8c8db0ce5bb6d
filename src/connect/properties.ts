/**
 * Java .properties files as Kafka's tools read them (worker.properties, connector.properties):
 * `key=value` or `key: value` or `key value`, `#`/`!` comments, a trailing backslash continues
 * the line, \t \n \\ \uXXXX escapes. A connector file may also be Connect's JSON
 * ({"name":...,"config":{...}}, or a flat object).
 */
import { readFileSync } from 'node:fs';

const unescape = (s: string): string => s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) => (c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));

export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out[unescape(m[1] ?? '')] = unescape(m[2] ?? '');
    else out[unescape(line)] = '';
  }
  return out;
}

/** A connector's name and config from a .properties or .json file. */
export function readConnectorFile(path: string): { name: string; config: Record<string, string> } {
  const text = readFileSync(path, 'utf8');
  let config: Record<string, string>;
  if (text.trimStart().startsWith('{')) {
    const o = JSON.parse(text) as { name?: string; config?: Record<string, unknown> } & Record<string, unknown>;
    const raw = o.config && typeof o.config === 'object' ? { ...o.config, ...(o.name ? { name: o.name } : {}) } : o;
    config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
  } else config = parseProperties(text);
  const name = config['name'];
  if (!name) throw new Error(`${path}: the connector config has no "name"`);
  return { name, config };
}
