// The schema registry: subjects with their versions and the global compatibility level, and one
// subject's versions with the schema text (pretty JSON for Avro and JSON Schema), its id, type,
// references and the subject's compatibility level.
import { useState } from 'preact/hooks';
import { enc } from '../api.js';
import { ErrorBox, html, Link, Loading, Table, useApi } from '../ui.js';

export function SchemasPage() {
  const { data, error, loading } = useApi('/api/schemas', 10000);
  const [q, setQ] = useState('');
  const shown = (data ? data.subjects : []).filter((s) => s.subject.toLowerCase().includes(q.toLowerCase()));
  return html`<section>
    <h1>Schemas</h1>
    ${data ? html`<p class="muted" data-testid="global-compatibility">${data.subjectCount} subject(s); global compatibility <strong>${data.compatibility}</strong></p>` : null}
    <input type="search" placeholder="Search subjects" aria-label="search subjects" value=${q} onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="subjects" />` : null}
    ${data ? html`<${Table} testid="subjects" empty="No subjects." headers=${['Subject', 'Versions', 'Latest']} rows=${shown.map((s) => html`<tr data-subject=${s.subject}>
      <td><${Link} href=${'/schemas/' + enc(s.subject)}>${s.subject}</${Link}></td><td class="num">${s.versions.length}</td><td class="num">${s.versions.length > 0 ? s.versions[s.versions.length - 1] : '-'}</td>
    </tr>`)} />` : null}
  </section>`;
}

function pretty(v) {
  if (v.schemaType === 'PROTOBUF') return v.schema;
  try {
    return JSON.stringify(JSON.parse(v.schema), null, 2);
  } catch {
    return v.schema;
  }
}

export function SchemaPage({ subject }) {
  const { data, error, loading } = useApi('/api/schemas/' + enc(subject));
  const [version, setVersion] = useState(null);
  const chosen = version ?? (data ? data.latest.version : null);
  const v = useApi(chosen === null ? null : '/api/schemas/' + enc(subject) + '/versions/' + chosen);
  return html`<section>
    <h1><${Link} href="/schemas">Schemas</${Link}> / <span data-testid="subject-name">${subject}</span></h1>
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="the subject" />` : null}
    ${data ? html`<div class="row">
      <label>Version <select name="version" value=${chosen} onChange=${(e) => setVersion(Number(e.target.value))}>${data.versions.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
      <span data-testid="compatibility">Compatibility <strong>${data.compatibility}</strong> <span class="muted">(${data.compatibilitySource === 'subject' ? 'set on this subject' : 'global'})</span></span>
    </div>` : null}
    <${ErrorBox} error=${v.error} />
    ${v.data ? html`<div class="card" data-testid="schema">
      <p><span class="pill">${v.data.schemaType}</span> version <strong>${v.data.version}</strong>, schema id <strong data-testid="schema-id">${v.data.id}</strong></p>
      ${v.data.references.length > 0 ? html`<p class="small">References: ${v.data.references.map((r) => html`<span><${Link} href=${'/schemas/' + enc(r.subject)}>${r.name}</${Link}> (${r.subject} v${r.version}) </span>`)}</p>` : null}
      <pre data-testid="schema-text">${pretty(v.data)}</pre>
    </div>` : null}
  </section>`;
}
