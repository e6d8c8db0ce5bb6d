/**
 * max.connections.per.ip.overrides (Kafka's `host:count,host:count`): parsed at start (a malformed
 * static value stops start-up) and read again at each accept, since it is a dynamic broker config.
 */
import type { Logger } from '../common/logger.js';

/** Parses max.connections.per.ip.overrides ("host:count,host:count"); throws on a malformed entry. */
export function parsePerIpOverrides(entries: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) {
    const entry = e.trim();
    if (entry === '') continue;
    const at = entry.lastIndexOf(':');
    const count = Number(entry.slice(at + 1));
    if (at <= 0 || !Number.isInteger(count) || count < 0) throw new Error(`Invalid max.connections.per.ip.overrides entry '${entry}': expected host:count`);
    out.set(entry.slice(0, at), count);
  }
  return out;
}

/**
 * max.connections.per.ip.overrides as read at each accept (a dynamic broker config): parsed again
 * only when the value changes; a malformed dynamic value keeps the last good one (a static one is
 * refused here, at start).
 */
export function livePerIpOverrides(read: () => readonly string[], logger: Logger): () => ReadonlyMap<string, number> {
  const initial = read();
  let last = { value: initial, parsed: parsePerIpOverrides(initial) as ReadonlyMap<string, number> };
  return () => {
    const value = read();
    if (value === last.value) return last.parsed;
    try {
      last = { value, parsed: parsePerIpOverrides(value) };
    } catch (e) {
      logger.warn('ignoring max.connections.per.ip.overrides', e);
      last = { value, parsed: last.parsed };
    }
    return last.parsed;
  };
}
