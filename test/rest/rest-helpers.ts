/** Helpers of the REST proxy tests: HTTP calls with Node's fetch (and node:http for a GET with a body). */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';

export interface HttpAnswer {
  status: number;
  type: string;
  text: string;
  json: unknown;
}

function answer(status: number, type: string, text: string): HttpAnswer {
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, type, text, json };
}

/** A request with Node's fetch; `body` is JSON-encoded unless it is a string. */
export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const init: RequestInit = { method, headers: { ...(body !== undefined ? { 'content-type': 'application/vnd.kafka.v2+json' } : {}), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(url, init);
  return answer(res.status, res.headers.get('content-type') ?? '', await res.text());
}

/** GET with a JSON body (as Confluent documents GET .../offsets), which fetch() refuses to send. */
export function getWithBody(url: string, body: unknown, contentType = 'application/vnd.kafka.v2+json'): Promise<HttpAnswer> {
  const u = new URL(url);
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', headers: { 'content-type': contentType, 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(answer(res.statusCode ?? 0, String(res.headers['content-type'] ?? ''), Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

export function expectStatus(a: HttpAnswer, status: number, what: string): void {
  assert.equal(a.status, status, `${what}: HTTP ${a.status} ${a.text}`);
}

/** Asserts a Confluent error body {error_code, message}. */
export function expectError(a: HttpAnswer, status: number, errorCode: number, what: string): void {
  assert.equal(a.status, status, `${what}: HTTP ${a.status} ${a.text}`);
  assert.equal((a.json as { error_code?: number } | undefined)?.error_code, errorCode, `${what}: ${a.text}`);
  assert.equal(typeof (a.json as { message?: unknown }).message, 'string', `${what}: ${a.text}`);
}

/** GET records until `count` records arrived (or the deadline passes). */
export async function pollRecords(instanceUrl: string, format: string, count: number, timeoutMs = 30_000): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`got ${out.length} of ${count} records before the deadline`);
    const a = await http('GET', `${instanceUrl}/records?timeout=500`, undefined, { accept: `application/vnd.kafka.${format}.v2+json` });
    expectStatus(a, 200, 'GET records');
    out.push(...(a.json as Record<string, unknown>[]));
  }
  return out;
}
