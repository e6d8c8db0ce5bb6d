// Kafka Connect: the connectors with their state, tasks and type, a connector created from JSON
// (a plug-in picked from the worker's list fills connector.class); one connector's status, tasks
// with their traces, config (edited as JSON), active topics and offsets (KIP-875: shown, edited
// and reset while the connector is stopped), and its actions: pause, resume, stop, restart (with
// its tasks, or one task) and delete.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ConfirmButton, ErrorBox, html, Link, Loading, navigate, Notice, Table, useAction, useApi } from '../ui.js';

const POLL_MS = 2000;
const STATE_PILL = { RUNNING: 'ok', FAILED: 'bad', PAUSED: 'warn', STOPPED: 'warn', UNASSIGNED: '', RESTARTING: 'warn' };

export const StatePill = ({ state, testid }) => html`<span class=${'pill ' + (STATE_PILL[state] ?? '')} data-testid=${testid}>${state}</span>`;

const shortClass = (c) => (c ? c.slice(c.lastIndexOf('.') + 1) : '-');

function tasksText(tasks) {
  if (tasks.length === 0) return 'no tasks';
  const running = tasks.filter((t) => t.state === 'RUNNING').length;
  const failed = tasks.filter((t) => t.state === 'FAILED').length;
  return running + '/' + tasks.length + ' running' + (failed > 0 ? ', ' + failed + ' failed' : '');
}

const TEMPLATE = { name: '', config: { 'connector.class': '', 'tasks.max': '1' } };

/** `{name, config}` (Connect's POST /connectors body), or a flat config with its own name. */
function parseConnector(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error('The connector is not valid JSON: ' + e.message);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('The connector is a JSON object: {"name": ..., "config": {...}}.');
  if (v.config && typeof v.config === 'object') return { name: v.name, config: v.config };
  const { name, ...config } = v;
  return { name, config };
}

function CreateConnector({ plugins, reload }) {
  const [text, setText] = useState(JSON.stringify(TEMPLATE, null, 2));
  const { notice, busy, run, setNotice } = useAction();
  const pick = (className) => {
    try {
      const c = parseConnector(text);
      setText(JSON.stringify({ name: c.name ?? '', config: { ...c.config, 'connector.class': className } }, null, 2));
    } catch {
      setText(JSON.stringify({ ...TEMPLATE, config: { ...TEMPLATE.config, 'connector.class': className } }, null, 2));
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    let body;
    try {
      body = parseConnector(text);
    } catch (err) {
      setNotice({ kind: 'error', text: err.message });
      return;
    }
    const r = await run(() => api('/api/connect/connectors', { method: 'POST', body }), (c) => 'Created connector ' + c.name + '.');
    if (r) {
      reload();
      navigate('/connect/' + enc(r.name));
    }
  };
  return html`<form class="card form" onSubmit=${submit} data-testid="create-connector">
    <h3>Create a connector</h3>
    <label>Plug-in <select name="plugin" onChange=${(e) => e.target.value && pick(e.target.value)}>
      <option value="">choose to fill connector.class</option>
      ${(plugins ?? []).map((p) => html`<option value=${p.className}>${shortClass(p.className)} (${p.type})</option>`)}
    </select></label>
    <label>Connector (JSON: name and config) <textarea name="connector" rows="10" spellcheck="false" value=${text} onInput=${(e) => setText(e.target.value)}></textarea></label>
    <button type="submit" disabled=${busy}>Create</button>
    <${Notice} notice=${notice} />
  </form>`;
}

export function ConnectPage() {
  const { data, error, loading, reload } = useApi('/api/connect', POLL_MS);
  const plugins = useApi('/api/connect/plugins');
  const [q, setQ] = useState('');
  const shown = (data ? data.connectors : []).filter((c) => c.name.toLowerCase().includes(q.toLowerCase()));
  return html`<section>
    <h1>Connect</h1>
    ${data ? html`<p class="muted" data-testid="connect-info">${data.connectors.length} connector(s) · Kafka Connect ${data.version ?? '?'}${data.kafkaClusterId ? ' · cluster ' + data.kafkaClusterId : ''}</p>` : null}
    <input type="search" placeholder="Search connectors" aria-label="search connectors" value=${q} onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="connectors" />` : null}
    ${data ? html`<${Table} testid="connectors" empty="No connectors." headers=${['Name', 'Type', 'Class', 'State', 'Tasks', 'Worker']} rows=${shown.map((c) => html`<tr data-connector=${c.name} class=${c.state === 'FAILED' || c.tasks.some((t) => t.state === 'FAILED') ? 'bad' : ''}>
      <td><${Link} href=${'/connect/' + enc(c.name)}>${c.name}</${Link}></td><td>${c.type}</td><td title=${c.className ?? ''}>${shortClass(c.className)}</td>
      <td><${StatePill} state=${c.state} /></td><td>${tasksText(c.tasks)}</td><td class="small">${c.workerId ?? '-'}</td>
    </tr>`)} />` : null}
    <${ErrorBox} error=${plugins.error} />
    <${CreateConnector} plugins=${plugins.data} reload=${reload} />
  </section>`;
}

const Trace = ({ trace }) => (trace ? html`<details><summary>Trace</summary><pre class="trace">${trace}</pre></details>` : null);

function ConfigEditor({ name, config, reload }) {
  const [text, setText] = useState(null);
  const { notice, busy, run, setNotice } = useAction();
  const save = async () => {
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      setNotice({ kind: 'error', text: 'The config is not valid JSON: ' + e.message });
      return;
    }
    if (await run(() => api('/api/connect/connectors/' + enc(name) + '/config', { method: 'PUT', body: { config: parsed } }), 'Saved the config of ' + name + '.')) {
      setText(null);
      reload();
    }
  };
  const entries = Object.entries(config).sort(([a], [b]) => a.localeCompare(b));
  return html`<div data-testid="connector-config">
    ${text === null
      ? html`<${Table} testid="config" headers=${['Name', 'Value']} rows=${entries.map(([k, v]) => html`<tr><td>${k}</td><td class="value">${v}</td></tr>`)} />
        <div class="row"><button onClick=${() => setText(JSON.stringify(config, null, 2))}>Edit config</button></div>`
      : html`<div class="card form"><label>Config (JSON) <textarea name="config" rows="12" spellcheck="false" value=${text} onInput=${(e) => setText(e.target.value)}></textarea></label>
        <div class="row"><button disabled=${busy} onClick=${save}>Save config</button><button onClick=${() => setText(null)}>Cancel</button></div></div>`}
    <${Notice} notice=${notice} />
  </div>`;
}

function Offsets({ name, state }) {
  const { data, error, loading, reload } = useApi('/api/connect/connectors/' + enc(name) + '/offsets');
  const [text, setText] = useState(null);
  const { notice, busy, run, setNotice } = useAction();
  const stopped = state === 'STOPPED';
  const save = async () => {
    let offsets;
    try {
      offsets = JSON.parse(text);
    } catch (e) {
      setNotice({ kind: 'error', text: 'The offsets are not valid JSON: ' + e.message });
      return;
    }
    if (await run(() => api('/api/connect/connectors/' + enc(name) + '/offsets', { method: 'PATCH', body: { offsets } }), (r) => r.message)) {
      setText(null);
      reload();
    }
  };
  return html`<div data-testid="connector-offsets">
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="offsets" />` : null}
    ${data ? html`<${Table} testid="offsets" empty="No offsets committed." headers=${['Partition', 'Offset']} rows=${data.offsets.map((o) => html`<tr><td><code>${JSON.stringify(o.partition)}</code></td><td><code>${JSON.stringify(o.offset)}</code></td></tr>`)} />` : null}
    ${stopped ? null : html`<p class="muted small">Offsets can be changed or reset only while the connector is stopped.</p>`}
    <div class="row">
      <button onClick=${reload}>Refresh offsets</button>
      <button disabled=${!stopped || !data} onClick=${() => setText(JSON.stringify(data.offsets, null, 2))}>Edit offsets</button>
      <${ConfirmButton} label="Reset offsets" confirmWord="reset" disabled=${!stopped || busy} onConfirm=${() => run(() => api('/api/connect/connectors/' + enc(name) + '/offsets', { method: 'DELETE' }), (r) => r.message).then(reload)} />
    </div>
    ${text !== null ? html`<div class="card form"><label>Offsets (JSON: [{partition, offset}], offset null removes one) <textarea name="offsets" rows="8" spellcheck="false" value=${text} onInput=${(e) => setText(e.target.value)}></textarea></label>
      <div class="row"><button disabled=${busy} onClick=${save}>Save offsets</button><button onClick=${() => setText(null)}>Cancel</button></div></div>` : null}
    <${Notice} notice=${notice} />
  </div>`;
}

export function ConnectorPage({ name }) {
  const path = '/api/connect/connectors/' + enc(name);
  const { data, error, loading, reload } = useApi(path, POLL_MS);
  const { notice, busy, run } = useAction();
  const [withTasks, setWithTasks] = useState(true);
  const act = (action, body) => run(() => api(path + '/' + action, { method: 'POST', body: body ?? {} }), action === 'restart' ? 'Restart requested.' : 'Requested ' + action + ' of ' + name + '.').then(reload);
  const state = data ? data.connector.state : null;
  return html`<section>
    <div class="title-row">
      <h1><${Link} href="/connect">Connect</${Link}> / <span data-testid="connector-name">${name}</span></h1>
      <${ConfirmButton} label="Delete connector" confirmWord=${name} disabled=${busy} onConfirm=${async () => { if (await run(() => api(path, { method: 'DELETE' }), 'Deleted connector ' + name + '.')) navigate('/connect'); }} />
    </div>
    <${Notice} notice=${notice} />
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="the connector" />` : null}
    ${data ? html`
      <p>State <${StatePill} state=${state} testid="connector-state" /> · ${data.type} · <span title=${data.config['connector.class']}>${shortClass(data.config['connector.class'])}</span> · worker <span class="small">${data.connector.workerId}</span>
        ${data.topics ? html` · topics ${data.topics.length > 0 ? data.topics.map((t, i) => html`${i > 0 ? ', ' : ''}<${Link} href=${'/topics/' + enc(t)}>${t}</${Link}>`) : 'none yet'}` : null}</p>
      <${Trace} trace=${data.connector.trace} />
      <div class="row" data-testid="connector-actions">
        <button disabled=${busy || state === 'PAUSED'} onClick=${() => act('pause')}>Pause</button>
        <button disabled=${busy || state === 'RUNNING'} onClick=${() => act('resume')}>Resume</button>
        <button disabled=${busy || state === 'STOPPED'} onClick=${() => act('stop')}>Stop</button>
        <button disabled=${busy} onClick=${() => act('restart', { includeTasks: withTasks, onlyFailed: false })}>Restart</button>
        <label class="inline"><input type="checkbox" name="includeTasks" checked=${withTasks} onChange=${(e) => setWithTasks(e.target.checked)} /> with its tasks</label>
        <button disabled=${busy} onClick=${() => act('restart', { includeTasks: true, onlyFailed: true })}>Restart failed tasks</button>
      </div>
      <h2>Tasks</h2>
      <${Table} testid="tasks" empty="No tasks (a stopped connector has none)." headers=${['Task', 'State', 'Worker', '', '']} rows=${data.tasks.map((t) => html`<tr data-task=${t.id}>
        <td>${t.id}</td><td><${StatePill} state=${t.state} /></td><td class="small">${t.workerId}</td>
        <td><button class="link" disabled=${busy} onClick=${() => run(() => api(path + '/tasks/' + t.id + '/restart', { method: 'POST', body: {} }), 'Restart of task ' + t.id + ' requested.').then(reload)}>Restart task</button></td>
        <td><${Trace} trace=${t.trace} /></td>
      </tr>`)} />
      <h2>Config</h2>
      <${ConfigEditor} name=${name} config=${data.config} reload=${reload} />
      <h2>Offsets</h2>
      <${Offsets} name=${name} state=${state} />
    ` : null}
  </section>`;
}
