// One topic: partitions (leader, replicas, ISR, offsets, size), the consumer groups reading it
// with lag, the message browser, configs with their source, and the actions (add partitions,
// delete records, delete the topic).
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { bytes, count } from '../format.js';
import { ConfirmButton, ErrorBox, html, Link, Loading, navigate, Notice, Table, useAction, useApi } from '../ui.js';
import { MessageBrowser } from './messages.js';

const TABS = [['partitions', 'Partitions'], ['messages', 'Messages'], ['configs', 'Configs'], ['groups', 'Consumer groups']];

function Partitions({ data, name, reload }) {
  const { notice, busy, run } = useAction();
  const [count2, setCount] = useState(String(data.partitions.length + 1));
  const [delPart, setDelPart] = useState('0');
  const [delOffset, setDelOffset] = useState('');
  return html`<div>
    <${Table} testid="partitions" headers=${['Partition', 'Leader', 'Replicas', 'ISR', 'Start offset', 'End offset', 'Messages', 'Size']}
      rows=${data.partitions.map((p) => html`<tr class=${p.leader < 0 ? 'bad' : p.isr.length < p.replicas.length ? 'warn' : ''}>
        <td>${p.partition}</td><td>${p.leader < 0 ? 'none' : p.leader}</td><td>${p.replicas.join(', ')}</td><td>${p.isr.join(', ')}</td>
        <td class="num">${count(p.startOffset)}</td><td class="num">${count(p.endOffset)}</td><td class="num">${p.startOffset === null || p.endOffset === null ? '-' : count(p.endOffset - p.startOffset)}</td><td class="num">${bytes(p.sizeBytes)}</td></tr>`)} />
    <div class="actions">
      <form class="card form" onSubmit=${(e) => { e.preventDefault(); run(() => api('/api/topics/' + enc(name) + '/partitions', { method: 'POST', body: { count: Number(count2) } }), 'Partitions added.').then(reload); }}>
        <h3>Add partitions</h3>
        <label>New total <input name="count" type="number" min=${data.partitions.length + 1} value=${count2} onInput=${(e) => setCount(e.target.value)} /></label>
        <button type="submit" disabled=${busy}>Add partitions</button>
      </form>
      <form class="card form" onSubmit=${(e) => { e.preventDefault(); run(() => api('/api/topics/' + enc(name) + '/delete-records', { method: 'POST', body: { partition: Number(delPart), offset: delOffset === '' ? -1 : Number(delOffset) } }), (r) => 'Records deleted: partition ' + r.partition + ' now starts at offset ' + r.lowWatermark + '.').then(reload); }}>
        <h3>Delete records</h3>
        <label>Partition <select value=${delPart} onChange=${(e) => setDelPart(e.target.value)}>${data.partitions.map((p) => html`<option value=${p.partition}>${p.partition}</option>`)}</select></label>
        <label>Before offset <input name="offset" type="number" min="0" placeholder="end (all)" value=${delOffset} onInput=${(e) => setDelOffset(e.target.value)} /></label>
        <button type="submit" class="danger" disabled=${busy}>Delete records</button>
      </form>
    </div>
    <${Notice} notice=${notice} />
  </div>`;
}

function Configs({ name }) {
  const { data, error, loading, reload } = useApi('/api/topics/' + enc(name) + '/configs');
  const { notice, busy, run } = useAction();
  const [editing, setEditing] = useState(null);
  const [value, setValue] = useState('');
  const [all, setAll] = useState(true);
  const save = (cfg, v) => run(() => api('/api/topics/' + enc(name) + '/configs', { method: 'PATCH', body: v === null ? { delete: [cfg] } : { set: { [cfg]: v } } }), v === null ? 'Config ' + cfg + ' reset to its default.' : 'Config ' + cfg + ' set to ' + v + '.').then(() => { setEditing(null); reload(); });
  const shown = (data ?? []).filter((c) => all || c.source === 'DYNAMIC_TOPIC_CONFIG');
  return html`<div>
    <label class="inline"><input type="checkbox" checked=${!all} onChange=${(e) => setAll(!e.target.checked)} /> only overrides</label>
    <${ErrorBox} error=${error} />
    <${Notice} notice=${notice} />
    ${loading && !data ? html`<${Loading} what="configs" />` : null}
    ${data ? html`<${Table} testid="configs" headers=${['Name', 'Value', 'Source', '']} rows=${shown.map((c) => html`<tr data-config=${c.name}>
      <td>${c.name}</td>
      <td class="value">${editing === c.name ? html`<input aria-label=${'value of ' + c.name} value=${value} onInput=${(e) => setValue(e.target.value)} />` : c.sensitive ? '(sensitive)' : (c.value ?? 'null')}</td>
      <td><span class=${'pill src-' + c.source}>${c.source}</span></td>
      <td>${c.readOnly ? null : editing === c.name
        ? html`<button disabled=${busy} onClick=${() => save(c.name, value)}>Save</button> <button onClick=${() => setEditing(null)}>Cancel</button>`
        : html`<button onClick=${() => { setEditing(c.name); setValue(c.value ?? ''); }}>Edit</button>${c.source === 'DYNAMIC_TOPIC_CONFIG' ? html` <button onClick=${() => save(c.name, null)}>Reset</button>` : null}`}</td>
    </tr>`)} />` : null}
  </div>`;
}

function Groups({ data }) {
  return html`<${Table} testid="topic-groups" empty="No consumer group has committed offsets on this topic." headers=${['Group', 'State', 'Partitions', 'Lag']}
    rows=${data.groups.map((g) => html`<tr><td><${Link} href=${'/groups/' + enc(g.group)}>${g.group}</${Link}></td><td>${g.state}</td><td>${g.partitions}</td><td class="num" data-testid=${'lag-' + g.group}>${count(g.lag)}</td></tr>`)} />`;
}

export function TopicPage({ name, tab }) {
  const { data, error, loading, reload } = useApi('/api/topics/' + enc(name), tab === 'messages' || tab === 'configs' ? 0 : 5000);
  const { notice, run } = useAction();
  const del = async () => {
    const r = await run(() => api('/api/topics/' + enc(name), { method: 'DELETE' }), 'Deleted topic ' + name + '.');
    if (r) navigate('/topics');
  };
  return html`<section>
    <div class="title-row">
      <h1><${Link} href="/topics">Topics</${Link}> / <span data-testid="topic-name">${name}</span></h1>
      <${ConfirmButton} label="Delete topic" confirmWord=${name} onConfirm=${del} />
    </div>
    <${Notice} notice=${notice} />
    <nav class="tabs">${TABS.map(([t, label]) => html`<${Link} href=${'/topics/' + enc(name) + (t === 'partitions' ? '' : '/' + t)} class=${tab === t ? 'active' : ''}>${label}</${Link}>`)}</nav>
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="the topic" />` : null}
    ${data && tab === 'partitions' ? html`<${Partitions} data=${data} name=${name} reload=${reload} />` : null}
    ${tab === 'messages' && !(error && error.status === 404) ? html`<${MessageBrowser} topic=${name} partitions=${data ? data.partitions.map((p) => p.partition) : null} />` : null}
    ${tab === 'configs' ? html`<${Configs} name=${name} />` : null}
    ${data && tab === 'groups' ? html`<${Groups} data=${data} />` : null}
  </section>`;
}
