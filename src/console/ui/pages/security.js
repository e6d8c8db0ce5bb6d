// ACLs, client quotas and SCRAM users of the cluster: lists, a form to add (an ACL binding, a
// quota, a user's credential) and a typed confirmation before each deletion.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ConfirmButton, ErrorBox, html, Loading, Notice, Table, useAction, useApi } from '../ui.js';

const RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER'];
const OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'CREATE_TOKENS', 'DESCRIBE_TOKENS', 'TWO_PHASE_COMMIT'];
const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate', 'connection_creation_rate'];

const select = (label, name, value, set, options) =>
  html`<label>${label} <select name=${name} value=${value} onChange=${(e) => set(e.target.value)}>${options.map((o) => html`<option value=${o}>${o}</option>`)}</select></label>`;
const input = (label, name, value, set, extra = {}) => html`<label>${label} <input name=${name} value=${value} onInput=${(e) => set(e.target.value)} ...${extra} /></label>`;

function AddAcl({ run, busy, reload }) {
  const [principal, setPrincipal] = useState('User:');
  const [resourceType, setResourceType] = useState('TOPIC');
  const [resourceName, setResourceName] = useState('');
  const [patternType, setPatternType] = useState('LITERAL');
  const [operation, setOperation] = useState('READ');
  const [permission, setPermission] = useState('ALLOW');
  const [host, setHost] = useState('*');
  const submit = async (e) => {
    e.preventDefault();
    const body = { principal, resourceType, resourceName: resourceType === 'CLUSTER' && resourceName === '' ? 'kafka-cluster' : resourceName, patternType, operation, permission, host };
    if (await run(() => api('/api/acls', { method: 'POST', body }), (a) => 'Added ' + a.permission + ' ' + a.operation + ' on ' + a.resourceType + ' ' + a.resourceName + ' for ' + a.principal + '.')) reload();
  };
  return html`<form class="card form browse" onSubmit=${submit} data-testid="add-acl">
    ${input('Principal', 'principal', principal, setPrincipal, { required: true })}
    ${select('Resource type', 'resourceType', resourceType, setResourceType, RESOURCE_TYPES)}
    ${input('Resource name', 'resourceName', resourceName, setResourceName, { placeholder: resourceType === 'CLUSTER' ? 'kafka-cluster' : '* for all' })}
    ${select('Pattern', 'patternType', patternType, setPatternType, ['LITERAL', 'PREFIXED'])}
    ${select('Operation', 'operation', operation, setOperation, OPERATIONS)}
    ${select('Permission', 'permission', permission, setPermission, ['ALLOW', 'DENY'])}
    ${input('Host', 'host', host, setHost)}
    <button type="submit" disabled=${busy}>Add ACL</button>
  </form>`;
}

export function AclsPage() {
  const { data, error, loading, reload } = useApi('/api/acls');
  const { notice, busy, run } = useAction();
  const [q, setQ] = useState('');
  const shown = (data ?? []).filter((a) => (a.principal + ' ' + a.resourceName).toLowerCase().includes(q.toLowerCase()));
  const del = (a) => run(() => api('/api/acls/delete', { method: 'POST', body: a }), (r) => 'Deleted ' + r.deleted.length + ' ACL' + (r.deleted.length === 1 ? '' : 's') + '.').then(reload);
  return html`<section>
    <h1>ACLs</h1>
    <${AddAcl} run=${run} busy=${busy} reload=${reload} />
    <${Notice} notice=${notice} />
    <input type="search" placeholder="Filter by principal or resource" aria-label="filter acls" value=${q} onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="ACLs" />` : null}
    ${data ? html`<${Table} testid="acls" empty="No ACLs." headers=${['Principal', 'Host', 'Permission', 'Operation', 'Resource type', 'Resource', 'Pattern', '']} rows=${shown.map((a) => html`<tr><td>${a.principal}</td><td>${a.host}</td><td>${a.permission}</td><td>${a.operation}</td><td>${a.resourceType}</td><td>${a.resourceName}</td><td>${a.patternType}</td><td><${ConfirmButton} label="Delete" confirmWord="delete" disabled=${busy} onConfirm=${() => del(a)} /></td></tr>`)} />` : null}
  </section>`;
}

const entityText = (e) => Object.entries(e).map(([k, v]) => k + '=' + (v === null ? '(default)' : v)).join(', ');

function SetQuota({ run, busy, reload }) {
  const [user, setUser] = useState('');
  const [userDefault, setUserDefault] = useState(false);
  const [client, setClient] = useState('');
  const [clientDefault, setClientDefault] = useState(false);
  const [ip, setIp] = useState('');
  const [key, setKey] = useState('producer_byte_rate');
  const [value, setValue] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    const entity = {};
    if (ip !== '') entity.ip = ip;
    else {
      if (user !== '' || userDefault) entity.user = userDefault ? null : user;
      if (client !== '' || clientDefault) entity['client-id'] = clientDefault ? null : client;
    }
    if (await run(() => api('/api/quotas', { method: 'POST', body: { entity, set: { [key]: value } } }), (r) => 'Set ' + key + '=' + r.set[key] + ' for ' + entityText(r.entity) + '.')) reload();
  };
  return html`<form class="card form browse" onSubmit=${submit} data-testid="set-quota">
    ${input('User', 'user', user, setUser, { placeholder: 'user name', disabled: userDefault })}
    <label class="inline"><input type="checkbox" name="userDefault" checked=${userDefault} onChange=${(e) => setUserDefault(e.target.checked)} /> default user</label>
    ${input('Client id', 'clientId', client, setClient, { placeholder: 'optional', disabled: clientDefault })}
    <label class="inline"><input type="checkbox" name="clientDefault" checked=${clientDefault} onChange=${(e) => setClientDefault(e.target.checked)} /> default client</label>
    ${input('IP', 'ip', ip, setIp, { placeholder: 'instead of user/client' })}
    ${select('Quota', 'key', key, setKey, QUOTA_KEYS)}
    ${input('Value', 'value', value, setValue, { type: 'number', min: '0', step: 'any', required: true })}
    <button type="submit" disabled=${busy}>Set quota</button>
  </form>`;
}

export function QuotasPage() {
  const { data, error, loading, reload } = useApi('/api/quotas');
  const { notice, busy, run } = useAction();
  const remove = (entity, key) => run(() => api('/api/quotas', { method: 'POST', body: { entity, remove: [key] } }), 'Removed ' + key + ' of ' + entityText(entity) + '.').then(reload);
  return html`<section>
    <h1>Quotas</h1>
    <${SetQuota} run=${run} busy=${busy} reload=${reload} />
    <${Notice} notice=${notice} />
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="quotas" />` : null}
    ${data ? html`<${Table} testid="quotas" empty="No client quotas." headers=${['Entity', 'Quota', 'Value', '']} rows=${data.flatMap((q) => Object.entries(q.values).map(([k, v]) => html`<tr><td>${entityText(q.entity)}</td><td>${k}</td><td class="num">${v}</td><td><${ConfirmButton} label="Remove" confirmWord="remove" disabled=${busy} onConfirm=${() => remove(q.entity, k)} /></td></tr>`))} />` : null}
  </section>`;
}

function AddUser({ run, busy, reload }) {
  const [user, setUser] = useState('');
  const [mechanism, setMechanism] = useState('SCRAM-SHA-256');
  const [password, setPassword] = useState('');
  const [iterations, setIterations] = useState('4096');
  const submit = async (e) => {
    e.preventDefault();
    if (await run(() => api('/api/users', { method: 'POST', body: { user, mechanism, password, iterations: Number(iterations) } }), (r) => 'Saved the ' + r.mechanism + ' credential of ' + r.user + '.')) {
      setPassword('');
      reload();
    }
  };
  return html`<form class="card form browse" onSubmit=${submit} data-testid="add-user">
    ${input('User', 'user', user, setUser, { required: true })}
    ${select('Mechanism', 'mechanism', mechanism, setMechanism, ['SCRAM-SHA-256', 'SCRAM-SHA-512'])}
    ${input('Password', 'password', password, setPassword, { type: 'password', required: true, autocomplete: 'new-password' })}
    ${input('Iterations', 'iterations', iterations, setIterations, { type: 'number', min: '4096', max: '16384' })}
    <button type="submit" disabled=${busy}>Save credential</button>
  </form>`;
}

export function UsersPage() {
  const { data, error, loading, reload } = useApi('/api/users');
  const { notice, busy, run } = useAction();
  const del = (user) => run(() => api('/api/users/' + enc(user), { method: 'DELETE' }), (r) => 'Deleted the credentials of ' + r.user + ' (' + r.deleted.join(', ') + ').').then(reload);
  return html`<section>
    <h1>SCRAM users</h1>
    <${AddUser} run=${run} busy=${busy} reload=${reload} />
    <${Notice} notice=${notice} />
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Loading} what="users" />` : null}
    ${data ? html`<${Table} testid="users" empty="No SCRAM users." headers=${['User', 'Mechanisms', '']} rows=${data.map((u) => html`<tr><td>${u.user}</td><td>${u.credentials.map((c) => c.mechanism + ' (' + c.iterations + ' iterations)').join(', ')}</td><td><${ConfirmButton} label="Delete" confirmWord=${u.user} disabled=${busy} onConfirm=${() => del(u.user)} /></td></tr>`)} />` : null}
  </section>`;
}
