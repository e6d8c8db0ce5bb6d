// Topics: a searchable list (partitions, replication, size, messages, retention) and a form to
// create a topic with partitions, replication factor and configs.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { bytes, count, duration } from '../format.js';
import { ErrorBox, html, Link, Loading, navigate, Notice, Table, useAction, useApi } from '../ui.js';

function CreateTopic({ onCreated }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [rf, setRf] = useState('');
  const [configs, setConfigs] = useState('');
  const { notice, busy, run } = useAction();
  if (!open) return html`<button onClick=${() => setOpen(true)}>Create topic</button>`;
  const submit = async (e) => {
    e.preventDefault();
    const cfg = {};
    for (const line of configs.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
      const eq = line.indexOf('=');
      if (eq > 0) cfg[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    const r = await run(() => api('/api/topics', { method: 'POST', body: { name, partitions: partitions === '' ? -1 : Number(partitions), replicationFactor: rf === '' ? -1 : Number(rf), configs: cfg } }), (x) => 'Created topic ' + x.name + '.');
    if (r) onCreated(r.name);
  };
  return html`<form class="card form" onSubmit=${submit} data-testid="create-topic">
    <h2>New topic</h2>
    <label>Name <input name="name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
    <label>Partitions <input name="partitions" type="number" min="1" value=${partitions} onInput=${(e) => setPartitions(e.target.value)} /></label>
    <label>Replication factor <input name="replicationFactor" type="number" min="1" placeholder="broker default" value=${rf} onInput=${(e) => setRf(e.target.value)} /></label>
    <label>Configs (one key=value per line) <textarea name="configs" rows="3" value=${configs} onInput=${(e) => setConfigs(e.target.value)}></textarea></label>
    <div class="row"><button type="submit" disabled=${busy}>Create</button><button type="button" onClick=${() => setOpen(false)}>Cancel</button></div>
    <${Notice} notice=${notice} />
  </form>`;
}

export function TopicsPage() {
  const { data, error, loading, reload } = useApi('/api/topics', 10000);
  const [q, setQ] = useState('');
  const [internal, setInternal] = useState(false);
  const shown = (data ?? []).filter((t) => (internal || !t.internal) && t.name.toLowerCase().includes(q.toLowerCase()));
  return html`<section>
    <div class="title-row"><h1>Topics</h1><${CreateTopic} onCreated=${(n) => { reload(); navigate('/topics/' + encodeURIComponent(n)); }} /></div>
    <div class="row">
      <input type="search" placeholder="Search topics" aria-label="search topics" value=${q} onInput=${(e) => setQ(e.target.value)} />
      <label class="inline"><input type="checkbox" checked=${internal} onChange=${(e) => setInternal(e.target.checked)} /> show internal topics</label>
    </div>
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="topics" />` : null}
    ${data
      ? html`<${Table}
          testid="topics"
          empty=${q ? 'No topic matches.' : 'No topics yet.'}
          headers=${['Name', 'Partitions', 'Replication', 'Size', 'Messages', 'Retention', 'Cleanup', 'Health']}
          rows=${shown.map((t) => html`<tr data-topic=${t.name}>
            <td><${Link} href=${'/topics/' + encodeURIComponent(t.name)}>${t.name}</${Link}>${t.internal ? html` <span class="pill">internal</span>` : null}</td>
            <td class="num">${t.partitions}</td><td class="num">${t.replicationFactor}</td><td class="num">${bytes(t.sizeBytes)}</td><td class="num">${count(t.messages)}</td>
            <td>${duration(t.retentionMs)}</td><td>${t.cleanupPolicy ?? '-'}</td>
            <td>${t.offline > 0 ? html`<span class="pill bad">${t.offline} offline</span>` : t.underReplicated > 0 ? html`<span class="pill warn">${t.underReplicated} under-replicated</span>` : html`<span class="pill ok">ok</span>`}</td>
          </tr>`)}
        />`
      : null}
  </section>`;
}
