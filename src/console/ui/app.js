// The Samsa console's browser app: a small router over location.pathname (every page has its own
// URL, which the server answers with this app), the navigation, and the pages. Everything from the
// cluster is rendered as text by preact (never as HTML).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { html, Link, onNavigate } from './ui.js';
import { OverviewPage } from './pages/overview.js';
import { TopicsPage } from './pages/topics.js';
import { TopicPage } from './pages/topic.js';
import { GroupsPage } from './pages/groups.js';
import { GroupPage } from './pages/group.js';
import { BrokersPage } from './pages/brokers.js';
import { AclsPage, QuotasPage, UsersPage } from './pages/security.js';
import { SchemaPage, SchemasPage } from './pages/schemas.js';
import { ConnectPage, ConnectorPage } from './pages/connect.js';

const NAV = [
  ['/', 'Overview'],
  ['/topics', 'Topics'],
  ['/groups', 'Consumer groups'],
  ['/brokers', 'Brokers'],
  ['/acls', 'ACLs'],
  ['/quotas', 'Quotas'],
  ['/users', 'SCRAM users'],
];

function route(path) {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length === 0) return html`<${OverviewPage} />`;
  const [first, second, third] = parts;
  if (first === 'topics' && second === undefined) return html`<${TopicsPage} />`;
  if (first === 'topics' && parts.length <= 3) return html`<${TopicPage} key=${second} name=${second} tab=${third ?? 'partitions'} />`;
  if (first === 'groups' && second === undefined) return html`<${GroupsPage} />`;
  if (first === 'groups' && parts.length === 2) return html`<${GroupPage} key=${second} name=${second} />`;
  if (first === 'brokers' && parts.length <= 2) return html`<${BrokersPage} id=${second ?? null} />`;
  if (first === 'acls') return html`<${AclsPage} />`;
  if (first === 'quotas') return html`<${QuotasPage} />`;
  if (first === 'users') return html`<${UsersPage} />`;
  if (first === 'schemas' && second === undefined) return html`<${SchemasPage} />`;
  if (first === 'schemas' && parts.length === 2) return html`<${SchemaPage} key=${second} subject=${second} />`;
  if (first === 'connect' && second === undefined) return html`<${ConnectPage} />`;
  if (first === 'connect' && parts.length === 2) return html`<${ConnectorPage} key=${second} name=${second} />`;
  return html`<div class="error-box" role="alert"><strong>Page not found.</strong> <${Link} href="/">Back to the overview</${Link}></div>`;
}

function App() {
  const [path, setPath] = useState(location.pathname);
  const [features, setFeatures] = useState(null);
  useEffect(() => {
    const off = onNavigate(() => setPath(location.pathname));
    api('/api/features').then(setFeatures, () => setFeatures(null));
    return off;
  }, []);
  const active = (href) => (href === '/' ? path === '/' : path === href || path.startsWith(href + '/'));
  const extra = [];
  if (features && features.schemaRegistry) extra.push(['/schemas', 'Schemas']);
  if (features && features.connect) extra.push(['/connect', 'Connect']);
  return html`
    <header class="top">
      <${Link} href="/" class="brand">Samsa console</${Link}>
      <nav>
        ${[...NAV, ...extra].map(([href, label]) => html`<${Link} href=${href} class=${active(href) ? 'active' : ''}>${label}</${Link}>`)}
      </nav>
    </header>
    <main>${route(path)}</main>
  `;
}

render(html`<${App} />`, document.getElementById('app'));
