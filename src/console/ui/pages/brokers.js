// Brokers: the list with liveness, and a broker's configs with their source (static or dynamic):
// set a dynamic config on that broker or as the cluster-wide default, and remove a dynamic one
// (it falls back to the static config or the default), as kafka-configs.sh --entity-type brokers.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ConfirmButton, ErrorBox, html, Link, Loading, Notice, Table, useAction, useApi } from '../ui.js';

const DYNAMIC = { DYNAMIC_BROKER_CONFIG: 'this broker', DYNAMIC_DEFAULT_BROKER_CONFIG: 'default' };

function SetBrokerConfig({ id, run, busy, reload }) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [scope, setScope] = useState('broker');
  const submit = async (e) => {
    e.preventDefault();
    const target = scope === 'broker' ? id : 'default';
    if (await run(() => api('/api/brokers/' + target + '/configs', { method: 'PATCH', body: { set: { [name]: value } } }), 'Set ' + name + '=' + value + (scope === 'broker' ? ' on broker ' + id : ' as the cluster-wide default') + '.')) {
      setValue('');
      reload();
    }
  };
  return html`<form class="card form browse" onSubmit=${submit} data-testid="set-broker-config">
    <label>Config <input name="configName" value=${name} onInput=${(e) => setName(e.target.value)} required placeholder="e.g. log.retention.ms" /></label>
    <label>Value <input name="configValue" value=${value} onInput=${(e) => setValue(e.target.value)} required /></label>
    <label>Scope <select name="scope" value=${scope} onChange=${(e) => setScope(e.target.value)}><option value="broker">broker ${id}</option><option value="default">every broker (default)</option></select></label>
    <button type="submit" disabled=${busy}>Set dynamic config</button>
  </form>`;
}

function BrokerConfigs({ id }) {
  const { data, error, loading, reload } = useApi('/api/brokers/' + encodeURIComponent(id) + '/configs');
  const { notice, busy, run } = useAction();
  const [q, setQ] = useState('');
  const [all, setAll] = useState(false);
  const shown = (data ?? []).filter((c) => (all || !c.isDefault) && c.name.includes(q));
  const remove = (c) => run(() => api('/api/brokers/' + (c.source === 'DYNAMIC_BROKER_CONFIG' ? id : 'default') + '/configs', { method: 'PATCH', body: { delete: [c.name] } }), 'Removed the dynamic ' + c.name + ' (' + DYNAMIC[c.source] + ').').then(reload);
  return html`<div>
    <h2>Configs of broker ${id}</h2>
    <${SetBrokerConfig} id=${id} run=${run} busy=${busy} reload=${reload} />
    <${Notice} notice=${notice} />
    <div class="row">
      <input type="search" placeholder="Filter configs" aria-label="filter configs" value=${q} onInput=${(e) => setQ(e.target.value)} />
      <label class="inline"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.target.checked)} /> include defaults</label>
    </div>
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="configs" />` : null}
    ${data ? html`<${Table} testid="broker-configs" headers=${['Name', 'Value', 'Source', 'Read-only', '']} rows=${shown.map((c) => html`<tr data-config=${c.name}><td>${c.name}</td><td class="value">${c.sensitive ? '(sensitive)' : (c.value ?? 'null')}</td><td><span class=${'pill src-' + c.source}>${c.source}</span></td><td>${c.readOnly ? 'yes' : ''}</td>
      <td>${DYNAMIC[c.source] ? html`<${ConfirmButton} label="Remove" confirmWord="remove" disabled=${busy} onConfirm=${() => remove(c)} />` : null}</td></tr>`)} />` : null}
  </div>`;
}

export function BrokersPage({ id }) {
  const { data, error, loading } = useApi('/api/cluster', 5000);
  const selected = id ?? (data && data.brokers.find((b) => b.alive) ? String(data.brokers.find((b) => b.alive).id) : null);
  return html`<section>
    <h1>Brokers</h1>
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="brokers" />` : null}
    ${data ? html`<${Table} testid="brokers" headers=${['Id', 'Address', 'Rack', 'Controller', 'Status']} rows=${data.brokers.map((b) => html`<tr class=${b.alive ? '' : 'bad'}><td><${Link} href=${'/brokers/' + b.id}>${b.id}</${Link}></td><td>${b.host === null ? '-' : b.host + ':' + b.port}</td><td>${b.rack ?? '-'}</td><td>${b.controller ? 'yes' : ''}</td><td><span class=${'pill ' + (b.alive ? 'ok' : 'bad')}>${b.alive ? 'alive' : 'down'}</span></td></tr>`)} />` : null}
    ${selected !== null ? html`<${BrokerConfigs} key=${selected} id=${selected} />` : null}
  </section>`;
}
