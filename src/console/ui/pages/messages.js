// The message browser: read a partition (or all) from an offset, a timestamp, the newest N, or
// follow a live tail; filter by key/value text, header or JSON path; show keys, values and headers
// as text, pretty JSON or hex, or decoded through the schema registry (Confluent's wire format:
// Avro, JSON Schema, Protobuf), cut to a preview with "show all"; and produce a message.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { render, time } from '../format.js';
import { ErrorBox, html, Notice, useAction, useApi } from '../ui.js';

const SHOW_ALL_BYTES = 4 * 1024 * 1024;
const TAIL_MS = 1000;
const TAIL_KEEP = 500;

function Bytes({ b, mode, onShowAll }) {
  const r = render(b, mode);
  return html`<div class=${'bytes' + (r.isNull ? ' muted' : '')}>
    <pre>${r.text}</pre>
    ${b && (b.truncated || (mode === 'schema' && b.decoded && b.decoded.truncated)) ? html`<div class="trunc">showing ${atob(b.base64).length} of ${b.size} bytes <button class="link" onClick=${onShowAll}>show all</button></div>` : null}
    ${r.note ? html`<div class="muted small">${r.note}</div>` : null}
  </div>`;
}

function query(topic, p, extra) {
  const q = new URLSearchParams();
  q.set('partition', p);
  for (const [k, v] of Object.entries(extra)) if (v !== '' && v !== null && v !== undefined) q.set(k, String(v));
  return '/api/topics/' + enc(topic) + '/messages?' + q.toString();
}

function Produce({ topic, partitions, onProduced }) {
  const [open, setOpen] = useState(false);
  const [partition, setPartition] = useState('');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [headers, setHeaders] = useState('');
  const { notice, busy, run } = useAction();
  if (!open) return html`<button onClick=${() => setOpen(true)}>Produce a message</button>`;
  const submit = async (e) => {
    e.preventDefault();
    const hs = headers.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? { key: l, value: null } : { key: l.slice(0, eq), value: l.slice(eq + 1) };
    });
    const r = await run(() => api('/api/topics/' + enc(topic) + '/messages', { method: 'POST', body: { partition: partition === '' ? null : Number(partition), key: key === '' ? null : key, value, headers: hs } }), (x) => 'Produced to partition ' + x.partition + ' at offset ' + x.offset + '.');
    if (r) onProduced(r);
  };
  return html`<form class="card form" onSubmit=${submit} data-testid="produce">
    <h3>Produce a message</h3>
    <label>Partition <select name="partition" value=${partition} onChange=${(e) => setPartition(e.target.value)}><option value="">by key (default partitioner)</option>${partitions.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
    <label>Key <input name="key" value=${key} placeholder="(none)" onInput=${(e) => setKey(e.target.value)} /></label>
    <label>Value <textarea name="value" rows="4" value=${value} onInput=${(e) => setValue(e.target.value)}></textarea></label>
    <label>Headers (one name=value per line) <textarea name="headers" rows="2" value=${headers} onInput=${(e) => setHeaders(e.target.value)}></textarea></label>
    <div class="row"><button type="submit" disabled=${busy}>Produce</button><button type="button" onClick=${() => setOpen(false)}>Close</button></div>
    <${Notice} notice=${notice} />
  </form>`;
}

/** `partitions` may be null while the topic's detail loads: the first read's answer names them. */
export function MessageBrowser({ topic, partitions: known }) {
  const [partition, setPartition] = useState('all');
  const [mode, setMode] = useState('newest');
  const [offset, setOffset] = useState('0');
  const [ts, setTs] = useState('');
  const [limit, setLimit] = useState('50');
  const [filter, setFilter] = useState({ key: '', value: '', header: '', jsonPath: '', jsonValue: '' });
  const [format, setFormat] = useState('text');
  const features = useApi('/api/features').data;
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [loadMs, setLoadMs] = useState(null);
  const [following, setFollowing] = useState(false);
  const tail = useRef(null);
  const first = useRef(true);

  const params = () => ({
    mode: mode === 'tail' ? 'newest' : mode,
    offset: mode === 'offset' ? offset : '',
    timestamp: mode === 'timestamp' && ts !== '' ? Date.parse(ts + 'Z') : '',
    limit,
    decode: format === 'schema' ? 'schema' : '',
    ...filter,
  });

  const load = async () => {
    setBusy(true);
    setError(null);
    const t0 = performance.now();
    try {
      const r = await api(query(topic, partition, params()));
      const ms = performance.now() - t0;
      setLoadMs(ms);
      if (first.current) {
        first.current = false;
        window.__samsaFirstPageMs = ms;
      }
      setResult(r);
      return r;
    } catch (e) {
      setError(e);
      return null;
    } finally {
      setBusy(false);
    }
  };

  // Live tail: from the answer's next offsets, poll each partition for what arrived since. One
  // step at a time (the next is scheduled when one ends: a slow answer never overlaps a second
  // read of the same offsets); "following new records" shows once the start offsets are known.
  useEffect(() => {
    setFollowing(false);
    if (mode !== 'tail') return undefined;
    let stopped = false;
    let next = null;
    const step = async () => {
      if (next === null) {
        const r = await load();
        if (stopped) return;
        if (r) {
          next = { ...r.next };
          setFollowing(true);
        }
        return;
      }
      const ps = Object.keys(next);
      const got = await Promise.all(ps.map((p) => api(query(topic, p, { ...filter, mode: 'offset', offset: next[p], limit: 500, decode: format === 'schema' ? 'schema' : '' })).catch((e) => { setError(e); return null; })));
      if (stopped) return;
      const fresh = [];
      got.forEach((g, i) => {
        if (!g) return;
        next[ps[i]] = g.next[ps[i]] ?? next[ps[i]];
        fresh.push(...g.records);
      });
      if (fresh.length > 0) setResult((old) => old && { ...old, records: [...old.records, ...fresh.sort((a, b) => a.timestamp - b.timestamp)].slice(-TAIL_KEEP) });
    };
    const loop = () => {
      step().finally(() => {
        if (!stopped) tail.current = setTimeout(loop, TAIL_MS);
      });
    };
    loop();
    return () => {
      stopped = true;
      clearTimeout(tail.current);
    };
  }, [mode, partition, topic]);

  useEffect(() => {
    if (mode !== 'tail') load();
  }, [topic]);

  // Decoded values come from the server: switching to the registry's view reads again.
  useEffect(() => {
    if (format === 'schema' && result && mode !== 'tail') load();
  }, [format]);

  const showAll = async (rec) => {
    try {
      const r = await api(query(topic, rec.partition, { mode: 'offset', offset: rec.offset, limit: 1, preview: SHOW_ALL_BYTES, decode: format === 'schema' ? 'schema' : '' }));
      const full = r.records[0];
      if (full) setResult((old) => ({ ...old, records: old.records.map((x) => (x.partition === rec.partition && x.offset === rec.offset ? full : x)) }));
    } catch (e) {
      setError(e);
    }
  };

  const f = (k) => (e) => setFilter({ ...filter, [k]: e.target.value });
  const partitions = known ?? (result ? Object.keys(result.partitions).map(Number) : []);
  return html`<div class="browser">
    <form class="card form browse" onSubmit=${(e) => { e.preventDefault(); if (mode !== 'tail') load(); }} data-testid="browse">
      <label>Partition <select name="partition" value=${partition} onChange=${(e) => setPartition(e.target.value)}><option value="all">all</option>${partitions.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
      <label>Read <select name="mode" value=${mode} onChange=${(e) => setMode(e.target.value)}>
        <option value="newest">newest N</option><option value="offset">from offset</option><option value="timestamp">from time (UTC)</option><option value="tail">live tail</option>
      </select></label>
      ${mode === 'offset' ? html`<label>Offset <input name="offset" type="number" min="0" value=${offset} onInput=${(e) => setOffset(e.target.value)} /></label>` : null}
      ${mode === 'timestamp' ? html`<label>Time <input name="timestamp" type="datetime-local" step="1" value=${ts} onInput=${(e) => setTs(e.target.value)} /></label>` : null}
      <label>Max records <input name="limit" type="number" min="1" max="500" value=${limit} onInput=${(e) => setLimit(e.target.value)} /></label>
      <label>Key contains <input name="key" value=${filter.key} onInput=${f('key')} /></label>
      <label>Value contains <input name="value" value=${filter.value} onInput=${f('value')} /></label>
      <label>Header <input name="header" placeholder="name or name=value" value=${filter.header} onInput=${f('header')} /></label>
      <label>JSON path <input name="jsonPath" placeholder="$.field" value=${filter.jsonPath} onInput=${f('jsonPath')} /></label>
      <label>equals <input name="jsonValue" value=${filter.jsonValue} onInput=${f('jsonValue')} /></label>
      <label>Show as <select name="format" value=${format} onChange=${(e) => setFormat(e.target.value)}><option value="text">text</option><option value="json">JSON</option><option value="hex">hex</option>${features && features.schemaRegistry ? html`<option value="schema">schema registry</option>` : null}</select></label>
      <button type="submit" disabled=${busy || mode === 'tail'}>Read</button>
    </form>
    <${Produce} topic=${topic} partitions=${partitions} onProduced=${() => mode !== 'tail' && load()} />
    <${ErrorBox} error=${error} />
    ${result ? html`<p class="muted small" data-testid="browse-summary">${result.records.length} record(s), ${result.scanned} scanned${loadMs !== null ? html`, loaded in <span data-testid="load-time">${Math.round(loadMs)}</span> ms` : null}${mode === 'tail' ? (following ? ' — following new records' : ' — starting the live tail') : ''}</p>` : null}
    ${result && result.records.length === 0 ? html`<p class="muted" data-testid="no-records">No records match.</p>` : null}
    ${result && result.records.length > 0 ? html`<div class="table-wrap"><table class="messages" data-testid="messages">
      <thead><tr><th>Partition</th><th>Offset</th><th>Timestamp (UTC)</th><th>Key</th><th>Value</th><th>Headers</th></tr></thead>
      <tbody>${result.records.map((r) => html`<tr data-offset=${r.offset} data-partition=${r.partition}>
        <td>${r.partition}</td><td class="num">${r.offset}</td><td class="small">${time(r.timestamp)}</td>
        <td><${Bytes} b=${r.key} mode=${format === 'schema' && !(r.key && r.key.decoded) ? 'text' : format} onShowAll=${() => showAll(r)} /></td>
        <td class="val"><${Bytes} b=${r.value} mode=${format} onShowAll=${() => showAll(r)} /></td>
        <td>${r.headers.length === 0 ? html`<span class="muted">-</span>` : r.headers.map((x) => html`<div class="small"><strong>${x.key}</strong>: ${render(x.value, 'text').text}</div>`)}</td>
      </tr>`)}</tbody>
    </table></div>` : null}
  </div>`;
}
