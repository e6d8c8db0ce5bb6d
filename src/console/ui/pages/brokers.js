// Brokers: the list with liveness, and a broker's configs with their source (static or dynamic).
import { useState } from 'preact/hooks';
import { ErrorBox, html, Link, Loading, Table, useApi } from '../ui.js';

function BrokerConfigs({ id }) {
  const { data, error, loading } = useApi('/api/brokers/' + encodeURIComponent(id) + '/configs');
  const [q, setQ] = useState('');
  const [all, setAll] = useState(false);
  const shown = (data ?? []).filter((c) => (all || !c.isDefault) && c.name.includes(q));
  return html`<div>
    <h2>Configs of broker ${id}</h2>
    <div class="row">
      <input type="search" placeholder="Filter configs" aria-label="filter configs" value=${q} onInput=${(e) => setQ(e.target.value)} />
      <label class="inline"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.target.checked)} /> include defaults</label>
    </div>
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="configs" />` : null}
    ${data ? html`<${Table} testid="broker-configs" headers=${['Name', 'Value', 'Source', 'Read-only']} rows=${shown.map((c) => html`<tr><td>${c.name}</td><td class="value">${c.sensitive ? '(sensitive)' : (c.value ?? 'null')}</td><td><span class=${'pill src-' + c.source}>${c.source}</span></td><td>${c.readOnly ? 'yes' : ''}</td></tr>`)} />` : null}
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
