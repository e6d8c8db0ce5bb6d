// Shared pieces of the console's pages: htm bound to preact, navigation, data loading with
// error states, tables, and confirmation dialogs.
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { api } from './api.js';

export const html = htm.bind(h);

const listeners = new Set();
export function navigate(path) {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  for (const l of listeners) l();
}
export function onNavigate(l) {
  listeners.add(l);
  return () => listeners.delete(l);
}
window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** A link that navigates without reloading the page. */
export function Link({ href, children, ...rest }) {
  const go = (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${go} ...${rest}>${children}</a>`;
}

/**
 * Loads `path` (again every `pollMs` when given); answers { data, error, loading, reload }.
 * A failed poll keeps the last data and shows the error.
 */
export function useApi(path, pollMs = 0) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const load = useCallback(() => {
    if (path === null) return;
    const mine = ++seq.current;
    api(path).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [path]);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    load();
    if (!pollMs) return undefined;
    const t = setInterval(load, pollMs);
    return () => clearInterval(t);
  }, [load, pollMs]);
  return { ...state, reload: load };
}

/** An error from the API: what failed, and what to do about it. */
export function ErrorBox({ error }) {
  if (!error) return null;
  const title = error.status === 503 || error.status === 0 ? 'Cluster unavailable' : error.status === 403 ? 'Not authorized' : error.status === 404 ? 'Not found' : 'Error';
  return html`<div class="error-box" role="alert" data-testid="error">
    <strong>${title}:</strong> ${error.message}
    ${error.hint ? html`<div class="hint">${error.hint}</div>` : null}
  </div>`;
}

export function Loading({ what }) {
  return html`<p class="muted">Loading ${what}…</p>`;
}

/** A notice after an action: { kind: 'ok' | 'error', text }. */
export function Notice({ notice }) {
  if (!notice) return null;
  return html`<div class=${'notice ' + notice.kind} role="status" data-testid="notice">${notice.text}</div>`;
}

/** Runs an API action and reports its outcome as a notice. */
export function useAction() {
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn, ok) => {
    setBusy(true);
    try {
      const r = await fn();
      setNotice(ok ? { kind: 'ok', text: typeof ok === 'function' ? ok(r) : ok } : null);
      return r;
    } catch (e) {
      setNotice({ kind: 'error', text: e.message + (e.hint ? ' ' + e.hint : '') });
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { notice, busy, run, setNotice };
}

export function Table({ headers, rows, empty = 'Nothing to show.', testid }) {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table data-testid=${testid}>
    <thead><tr>${headers.map((x) => html`<th>${x}</th>`)}</tr></thead>
    <tbody>${rows}</tbody>
  </table></div>`;
}

/** A button that asks to type a name before doing something destructive. */
export function ConfirmButton({ label, confirmWord, onConfirm, disabled }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  if (!open) return html`<button class="danger" disabled=${disabled} onClick=${() => setOpen(true)}>${label}</button>`;
  return html`<span class="confirm" role="dialog">
    Type <code>${confirmWord}</code> to confirm:
    <input aria-label="confirmation" value=${typed} onInput=${(e) => setTyped(e.target.value)} />
    <button class="danger" disabled=${typed !== confirmWord} onClick=${() => { setOpen(false); setTyped(''); onConfirm(); }}>Confirm ${label.toLowerCase()}</button>
    <button onClick=${() => { setOpen(false); setTyped(''); }}>Cancel</button>
  </span>`;
}

export function Stat({ label, value, warn, testid }) {
  return html`<div class=${'stat' + (warn ? ' warn' : '')} data-testid=${testid}><div class="stat-value">${value}</div><div class="stat-label">${label}</div></div>`;
}
