// The console's JSON API from the browser: every failure becomes an ApiFailure with the
// server's status, code, message and hint (never a stack trace).
export class ApiFailure extends Error {
  constructor(status, code, message, hint) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint ?? null;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, 'CONSOLE_UNREACHABLE', 'The console server does not answer.', 'Check that samsa console is still running.');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text === '' ? null : JSON.parse(text);
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = data && data.error ? data.error : { status: res.status, code: 'HTTP_' + res.status, message: 'The console answered ' + res.status + '.', hint: null };
    throw new ApiFailure(e.status, e.code, e.message, e.hint);
  }
  return data;
}

export const enc = encodeURIComponent;
