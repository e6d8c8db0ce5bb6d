// Formatting helpers: sizes, counts, durations, and record bytes as text, JSON or hex.
export function bytes(n) {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? String(v) : v.toFixed(1)) + ' ' + units[i];
}

export const count = (n) => (n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'));

export function duration(ms) {
  if (ms === null || ms === undefined) return '-';
  if (ms < 0) return 'forever';
  const units = [['d', 86400000], ['h', 3600000], ['min', 60000], ['s', 1000]];
  for (const [u, m] of units) if (ms >= m && ms % m === 0) return ms / m + ' ' + u;
  return ms + ' ms';
}

export const time = (ms) => (ms === null || ms === undefined || ms < 0 ? '-' : new Date(ms).toISOString().replace('T', ' ').replace('Z', ''));

export function fromBase64(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A record's bytes shown as 'text', 'json' (pretty when it parses), 'hex' or 'schema' (decoded
 * by the console through the schema registry; the text otherwise, with the reason).
 */
export function render(b, mode) {
  if (b === null) return { text: 'null', isNull: true };
  if (mode === 'schema') {
    const d = b.decoded;
    if (d && d.json !== undefined) return { text: d.json, note: d.schemaType + ', schema id ' + d.schemaId + (d.note ? ' (' + d.note + ')' : '') + (d.truncated ? ' (decoded text cut; show all for the rest)' : '') };
    const r = render(b, 'text');
    return { text: r.text, note: d ? d.error : 'not in the schema registry wire format' };
  }
  const raw = fromBase64(b.base64);
  if (mode === 'hex') {
    const parts = [];
    for (let i = 0; i < raw.length; i += 16) {
      const row = Array.from(raw.subarray(i, i + 16), (x) => x.toString(16).padStart(2, '0')).join(' ');
      parts.push(i.toString(16).padStart(8, '0') + '  ' + row);
    }
    return { text: parts.join('\n') };
  }
  const text = utf8.decode(raw);
  if (mode === 'json' && !b.truncated) {
    try {
      return { text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch {
      return { text, note: 'not JSON' };
    }
  }
  return { text };
}
