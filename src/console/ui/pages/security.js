// ACLs, client quotas and SCRAM users of the cluster (read-only views).
import { useState } from 'preact/hooks';
import { ErrorBox, html, Loading, Table, useApi } from '../ui.js';

export function AclsPage() {
  const { data, error, loading } = useApi('/api/acls');
  const [q, setQ] = useState('');
  const shown = (data ?? []).filter((a) => (a.principal + ' ' + a.resourceName).toLowerCase().includes(q.toLowerCase()));
  return html`<section>
    <h1>ACLs</h1>
    <input type="search" placeholder="Filter by principal or resource" aria-label="filter acls" value=${q} onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="ACLs" />` : null}
    ${data ? html`<${Table} testid="acls" empty="No ACLs." headers=${['Principal', 'Host', 'Permission', 'Operation', 'Resource type', 'Resource', 'Pattern']} rows=${shown.map((a) => html`<tr><td>${a.principal}</td><td>${a.host}</td><td>${a.permission}</td><td>${a.operation}</td><td>${a.resourceType}</td><td>${a.resourceName}</td><td>${a.patternType}</td></tr>`)} />` : null}
  </section>`;
}

const entityText = (e) => Object.entries(e).map(([k, v]) => k + '=' + (v === null ? '(default)' : v)).join(', ');

export function QuotasPage() {
  const { data, error, loading } = useApi('/api/quotas');
  return html`<section>
    <h1>Quotas</h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="quotas" />` : null}
    ${data ? html`<${Table} testid="quotas" empty="No client quotas." headers=${['Entity', 'Quotas']} rows=${data.map((q) => html`<tr><td>${entityText(q.entity)}</td><td>${Object.entries(q.values).map(([k, v]) => k + '=' + v).join(', ')}</td></tr>`)} />` : null}
  </section>`;
}

export function UsersPage() {
  const { data, error, loading } = useApi('/api/users');
  return html`<section>
    <h1>SCRAM users</h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="users" />` : null}
    ${data ? html`<${Table} testid="users" empty="No SCRAM users." headers=${['User', 'Mechanisms']} rows=${data.map((u) => html`<tr><td>${u.user}</td><td>${u.credentials.map((c) => c.mechanism + ' (' + c.iterations + ' iterations)').join(', ')}</td></tr>`)} />` : null}
  </section>`;
}
