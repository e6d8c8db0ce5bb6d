/**
 * Starting the console from the command line: `samsa start --console` (with console.listeners on
 * a free port) prints its URL and serves it from the broker process; `samsa console
 * --bootstrap-server` serves it on its own against that broker and stops on SIGTERM;
 * (--command-config with TLS/SASL: console-secure.test.ts);
 * `samsa console --help` documents the options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, removeDir, startBrokerProcess } from '../helpers/broker-process.js';
import { samsaCli } from '../helpers/samsa-cli.js';

async function cluster(url: string): Promise<{ brokers: { id: number; alive: boolean }[] }> {
  const res = await fetch(`${url}/api/cluster`);
  assert.equal(res.status, 200);
  return (await res.json()) as { brokers: { id: number; alive: boolean }[] };
}

test('samsa start --console serves the console; samsa console serves it on its own', { timeout: 90_000 }, async (t) => {
  const broker = await startBrokerProcess({ args: ['--console'], overrides: { 'console.listeners': 'http://127.0.0.1:0' } });
  t.after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });
  const m = /Console on (http:\/\/127\.0\.0\.1:\d+)/.exec(broker.output());
  assert.ok(m, broker.output());
  assert.deepEqual((await cluster(m[1] as string)).brokers.map((b) => [b.id, b.alive]), [[1, true]]);
  const shell = await fetch(`${m[1]}/topics/anything`);
  assert.match(await shell.text(), /<div id="app">/);
  assert.match(shell.headers.get('content-security-policy') ?? '', /script-src 'self' 'sha256-/);

  const child = spawn(process.execPath, [CLI, 'console', '--bootstrap-server', broker.bootstrap, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (url === undefined && Date.now() < deadline) {
    url = /Samsa console on (http:\/\/\S+) /.exec(out)?.[1];
    if (url === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(url, out);
  assert.deepEqual((await cluster(url)).brokers.map((b) => b.id), [1]);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out);
});

test('samsa console documents its options', async () => {
  const help = await samsaCli(['console', '--help']);
  assert.equal(help.code, 0);
  for (const opt of ['--bootstrap-server', '--port', '--host', '--metrics', '--schema-registry', '--connect', '--command-config']) assert.ok(help.stdout.includes(opt), opt);
  const top = await samsaCli(['--help']);
  assert.match(top.stdout, /console\s+Serve the web console/);
});
