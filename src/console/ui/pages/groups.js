// Consumer groups: state, protocol type, members and total lag.
import { useState } from 'preact/hooks';
import { enc } from '../api.js';
import { count } from '../format.js';
import { ErrorBox, html, Link, Loading, Table, useApi } from '../ui.js';

export function GroupsPage() {
  const { data, error, loading } = useApi('/api/groups', 5000);
  const [q, setQ] = useState('');
  const shown = (data ?? []).filter((g) => g.group.toLowerCase().includes(q.toLowerCase()));
  return html`<section>
    <h1>Consumer groups</h1>
    <input type="search" placeholder="Search groups" aria-label="search groups" value=${q} onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="groups" />` : null}
    ${data ? html`<${Table} testid="groups" empty="No consumer groups." headers=${['Group', 'State', 'Protocol type', 'Members', 'Total lag']}
      rows=${shown.map((g) => html`<tr data-group=${g.group}><td><${Link} href=${'/groups/' + enc(g.group)}>${g.group}</${Link}></td><td><span class=${'pill ' + (g.state === 'Stable' ? 'ok' : g.state === 'Empty' ? '' : 'warn')}>${g.state}</span></td><td>${g.protocolType || '-'}</td><td class="num">${count(g.members)}</td><td class="num">${count(g.totalLag)}</td></tr>`)} />` : null}
  </section>`;
}
