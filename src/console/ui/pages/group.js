// One consumer group: members and their assignments, committed offset / log end / lag per
// partition with a lag chart while the page is open, offset resets with a dry-run preview, and
// deleting the group or its offsets of a topic.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { Chart } from '../chart.js';
import { count } from '../format.js';
import { ConfirmButton, ErrorBox, html, Link, Loading, navigate, Notice, Table, useAction, useApi } from '../ui.js';

const POLL_MS = 2000;
const POINTS = 150;

function useLagHistory(data) {
  const [hist, setHist] = useState({ keys: [], rows: [] });
  useEffect(() => {
    if (!data) return;
    setHist((h) => {
      const keys = data.offsets.map((o) => o.topic + '-' + o.partition);
      const same = keys.length === h.keys.length && keys.every((k, i) => k === h.keys[i]);
      const rows = (same ? h.rows : []).slice(-POINTS + 1);
      rows.push([data.time / 1000, ...data.offsets.map((o) => o.lag)]);
      return { keys, rows };
    });
  }, [data]);
  const series = [hist.rows.map((r) => r[0]), ...hist.keys.map((_, i) => hist.rows.map((r) => r[i + 1]))];
  return { labels: hist.keys.slice(0, 12), data: series.slice(0, 13) };
}

function Reset({ name, topics, reload }) {
  const [topic, setTopic] = useState('');
  const [kind, setKind] = useState('earliest');
  const [arg, setArg] = useState('');
  const [preview, setPreview] = useState(null);
  const { notice, busy, run } = useAction();
  const spec = () => (kind === 'timestamp' ? { kind, timestamp: Date.parse(arg + 'Z') } : kind === 'offset' ? { kind, offset: Number(arg) } : kind === 'shift-by' ? { kind, shift: Number(arg) } : { kind });
  const send = (dryRun) => run(() => api('/api/groups/' + enc(name) + '/reset-offsets', { method: 'POST', body: { topic: topic === '' ? null : topic, spec: spec(), dryRun } }), dryRun ? null : (r) => 'Offsets reset for ' + r.offsets.length + ' partition(s).');
  return html`<div class="card form" data-testid="reset">
    <h3>Reset offsets</h3>
    <label>Topic <select name="topic" value=${topic} onChange=${(e) => setTopic(e.target.value)}><option value="">every committed topic</option>${topics.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
    <label>To <select name="kind" value=${kind} onChange=${(e) => { setKind(e.target.value); setPreview(null); }}>
      <option value="earliest">earliest</option><option value="latest">latest</option><option value="timestamp">time (UTC)</option><option value="offset">specific offset</option><option value="shift-by">shift by</option>
    </select></label>
    ${kind === 'timestamp' ? html`<label>Time <input name="time" type="datetime-local" step="1" value=${arg} onInput=${(e) => setArg(e.target.value)} /></label>` : null}
    ${kind === 'offset' || kind === 'shift-by' ? html`<label>${kind === 'offset' ? 'Offset' : 'Shift (may be negative)'} <input name="arg" type="number" value=${arg} onInput=${(e) => setArg(e.target.value)} /></label>` : null}
    <div class="row">
      <button disabled=${busy} onClick=${async () => setPreview(await send(true))}>Preview (dry run)</button>
      <button class="danger" disabled=${busy || !preview} onClick=${async () => { if (await send(false)) { setPreview(null); reload(); } }}>Execute reset</button>
    </div>
    ${preview ? html`<${Table} testid="reset-preview" empty="No partition to reset." headers=${['Topic', 'Partition', 'Current offset', 'New offset']} rows=${preview.offsets.map((o) => html`<tr><td>${o.topic}</td><td>${o.partition}</td><td class="num">${count(o.currentOffset)}</td><td class="num">${count(o.newOffset)}</td></tr>`)} />` : null}
    <${Notice} notice=${notice} />
  </div>`;
}

export function GroupPage({ name }) {
  const { data, error, loading, reload } = useApi('/api/groups/' + enc(name), POLL_MS);
  const lag = useLagHistory(data);
  const { notice, run } = useAction();
  const [delTopic, setDelTopic] = useState('');
  const topics = data ? [...new Set(data.offsets.map((o) => o.topic))] : [];
  return html`<section>
    <div class="title-row">
      <h1><${Link} href="/groups">Consumer groups</${Link}> / <span data-testid="group-name">${name}</span></h1>
      <${ConfirmButton} label="Delete group" confirmWord=${name} onConfirm=${async () => { if (await run(() => api('/api/groups/' + enc(name), { method: 'DELETE' }), 'Deleted group ' + name + '.')) navigate('/groups'); }} />
    </div>
    <${Notice} notice=${notice} />
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="the group" />` : null}
    ${data ? html`
      <p>State <span class="pill" data-testid="group-state">${data.state}</span> · protocol ${data.protocolType || '-'} ${data.protocol ? '(' + data.protocol + ')' : ''} · coordinator ${data.coordinator.nodeId} · total lag <strong data-testid="total-lag">${count(data.totalLag)}</strong></p>
      <h2>Members</h2>
      <${Table} testid="members" empty="No active members." headers=${['Member', 'Client id', 'Host', 'Assignment']} rows=${data.members.map((m) => html`<tr><td class="small">${m.memberId}</td><td>${m.clientId}</td><td>${m.host}</td><td>${(m.assignment ?? []).map((a) => a.topic + ' [' + a.partitions.join(', ') + ']').join('; ') || '-'}</td></tr>`)} />
      <h2>Offsets and lag</h2>
      <${Table} testid="offsets" empty="No committed offsets." headers=${['Topic', 'Partition', 'Committed', 'Log end', 'Lag', 'Member']} rows=${data.offsets.map((o) => html`<tr data-tp=${o.topic + '-' + o.partition}><td><${Link} href=${'/topics/' + enc(o.topic)}>${o.topic}</${Link}></td><td>${o.partition}</td><td class="num">${count(o.committedOffset)}</td><td class="num">${count(o.logEndOffset)}</td><td class="num lag">${count(o.lag)}</td><td class="small">${o.clientId ?? '-'}</td></tr>`)} />
      <h2>Lag over time</h2>
      ${lag.labels.length > 0 ? html`<${Chart} labels=${lag.labels} data=${lag.data} testid="lag-chart" />` : html`<p class="muted">No partitions to chart.</p>`}
      <div class="actions">
        <${Reset} name=${name} topics=${topics} reload=${reload} />
        <div class="card form">
          <h3>Delete offsets</h3>
          <label>Topic <select value=${delTopic} onChange=${(e) => setDelTopic(e.target.value)}><option value="">choose a topic</option>${topics.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
          <${ConfirmButton} label="Delete offsets" confirmWord=${delTopic || '-'} disabled=${delTopic === ''} onConfirm=${() => run(() => api('/api/groups/' + enc(name) + '/delete-offsets', { method: 'POST', body: { topic: delTopic } }), 'Offsets of ' + delTopic + ' deleted.').then(reload)} />
        </div>
      </div>
    ` : null}
  </section>`;
}
