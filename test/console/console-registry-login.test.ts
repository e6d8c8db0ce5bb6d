/**
 * The console's login to a schema registry behind HTTP basic authentication. Samsa's registry has
 * no authentication of its own (a deployment puts an authenticating proxy in front, as this test
 * does: a node:http proxy that answers 401 with Confluent's error body unless alice's
 * credentials come, forwarding the rest to the broker's embedded registry). Checked:
 * - `samsa console --schema-registry URL --schema-registry-basic-auth alice:secret`, the same
 *   login from --command-config (basic.auth.credentials.source=USER_INFO, basic.auth.user.info;
 *   SASL_INHERIT, the sasl.jaas.config credentials), and from the URL's user info (http://alice:secret@host:port) list the registry's subjects;
 * - a record in Confluent's wire format is decoded through the registry with that login;
 * - without credentials or with a wrong password the API answers 403 REGISTRY_401 (the registry's error code) with a hint,
 *   and the Schemas page in Chromium says "Not authorized" with that hint (no stack trace);
 * - a --command-config with basic.auth.credentials.source=USER_INFO and no user info is refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startConsole } from '../../src/console/server.js';
import { sr, startBrokerWithRegistry, type BrokerWithRegistry } from '../helpers/registry.js';
import { samsaCli } from '../helpers/samsa-cli.js';
import { launchBrowser, newPage, startConsoleProcess } from './console-fixture.js';

let b: BrokerWithRegistry;
let proxy: Server;
let proxyUrl: string;
let browser: Browser;
let dir: string;
const seen: (string | undefined)[] = [];
const children: ChildProcess[] = [];
const GOOD = `Basic ${Buffer.from('alice:secret').toString('base64')}`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-console-registry-login-'));
  b = await startBrokerWithRegistry();
  const target = new URL(b.url);
  proxy = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== GOOD) {
      res.writeHead(401, { 'content-type': 'application/vnd.schemaregistry.v1+json', 'www-authenticate': 'Basic realm="SchemaRegistry"' });
      res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      return;
    }
    const { authorization: _a, ...headers } = req.headers;
    const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  browser = await launchBrowser();
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await browser?.close();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await b?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `samsa console` against the broker on a free port; resolves with its URL. */
const consoleOnBroker = (args: string[]): Promise<string> => startConsoleProcess(['--bootstrap-server', b.broker.bootstrap, ...args], children);

async function subjects(consoleUrl: string): Promise<string[]> {
  const r = await fetch(`${consoleUrl}/api/schemas`);
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { subjects: { subject: string }[] }).subjects.map((s) => s.subject);
}

test('the console logs in to a registry behind basic auth: option, --command-config, URL user info; decoding uses the login', { timeout: 180_000 }, async () => {
  const registered = await sr(b.url, 'POST', '/subjects/greetings-value/versions', { schema: '"string"' });
  assert.equal(registered.status, 200);
  const id = (registered.body as { id: number }).id;

  const byOption = await consoleOnBroker(['--schema-registry', proxyUrl, '--schema-registry-basic-auth', 'alice:secret']);
  assert.deepEqual(await subjects(byOption), ['greetings-value']);

  const file = join(dir, 'client.properties');
  writeFileSync(file, 'basic.auth.credentials.source=USER_INFO\nbasic.auth.user.info=alice:secret\n');
  const byFile = await consoleOnBroker(['--schema-registry', proxyUrl, '--command-config', file]);
  assert.deepEqual(await subjects(byFile), ['greetings-value']);

  // SASL_INHERIT: the JAAS config's credentials (security.protocol stays PLAINTEXT for Kafka here).
  const inherit = join(dir, 'inherit.properties');
  writeFileSync(inherit, 'basic.auth.credentials.source=SASL_INHERIT\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="secret";\n');
  const byInherit = await consoleOnBroker(['--schema-registry', proxyUrl, '--command-config', inherit]);
  assert.deepEqual(await subjects(byInherit), ['greetings-value']);

  const byUrl = await consoleOnBroker(['--schema-registry', proxyUrl.replace('http://', 'http://alice:secret@')]);
  assert.deepEqual(await subjects(byUrl), ['greetings-value']);

  // A record in Confluent's wire format (magic 0, schema id, Avro "hello"), decoded with the login.
  const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from([10]), Buffer.from('hello')]);
  value.writeInt32BE(id, 1);
  const created = await fetch(`${byOption}/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'greetings', partitions: 1 }) });
  assert.equal(created.status, 201, await created.clone().text());
  const produced = await fetch(`${byOption}/api/topics/greetings/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: value.toString('base64'), encoding: 'base64' }) });
  assert.equal(produced.status, 201, await produced.clone().text());
  const read = await fetch(`${byOption}/api/topics/greetings/messages?mode=offset&offset=0&decode=schema`);
  assert.equal(read.status, 200, await read.clone().text());
  const rec = ((await read.json()) as { records: { value: { decoded?: { schemaId: number; schemaType: string; json: string } } }[] }).records[0];
  assert.deepEqual(rec?.value.decoded && [rec.value.decoded.schemaId, rec.value.decoded.schemaType, rec.value.decoded.json], [id, 'AVRO', '"hello"']);
  assert.ok(seen.includes(GOOD));
});

test('without the login or with a wrong one: 403 REGISTRY_401 with a hint, shown on the Schemas page', { timeout: 120_000 }, async () => {
  const anonymous = await startConsole({ bootstrap: [b.broker.bootstrap], port: 0, schemaRegistryUrl: proxyUrl });
  const wrong = await startConsole({ bootstrap: [b.broker.bootstrap], port: 0, schemaRegistryUrl: proxyUrl, schemaRegistryUserInfo: 'alice:nope' });
  try {
    for (const [c, hint] of [
      [anonymous, /asks for a login: give --schema-registry-basic-auth/],
      [wrong, /refused the console's credentials/],
    ] as const) {
      const r = await fetch(`${c.url}/api/schemas`);
      assert.equal(r.status, 403);
      const e = ((await r.json()) as { error: { code: string; message: string; hint: string } }).error;
      assert.deepEqual([e.code, e.message], ['REGISTRY_401', 'Unauthorized']);
      assert.match(e.hint, hint);
    }
    const { page, errors } = await newPage(browser);
    await page.goto(`${anonymous.url}/schemas`);
    await page.getByTestId('error').getByText('Not authorized:').waitFor();
    assert.match(await page.getByTestId('error').innerText(), /Unauthorized\s+The schema registry asks for a login/);
    assert.doesNotMatch(await page.getByTestId('error').innerText(), /\.js:\d+/);
    assert.deepEqual(errors.filter((x) => !/403/.test(x)), []);
  } finally {
    await anonymous.close();
    await wrong.close();
  }
  const file = join(dir, 'no-user-info.properties');
  writeFileSync(file, 'basic.auth.credentials.source=USER_INFO\n');
  const r = await samsaCli(['console', '--bootstrap-server', b.broker.bootstrap, '--port', '0', '--schema-registry', proxyUrl, '--command-config', file]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /basic\.auth\.user\.info/);
});
