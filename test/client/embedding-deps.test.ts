/**
 * Embedding the broker must not load a Kafka client library: `import { startBroker } from 'samsa'`
 * (dist/src/index.js), starting and stopping a broker, and the `samsa start` code path load no
 * module of @platformatic/kafka, which only the CLI's client commands use (loaded on demand by
 * src/cli/client.ts's loadKafka()). Checked in a fresh Node process with a module resolve hook
 * (ESM) plus the CommonJS cache; the last test shows the check does see the library when the CLI
 * loads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runProcess } from '../helpers/run-process.js';

// dist/test/client/embedding-deps.test.js → dist/src.
const DIST_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const url = (p: string): string => pathToFileURL(resolve(DIST_SRC, p)).href;

/**
 * A resolve hook that reports every resolved module to the main thread, in order; the specifier
 * 'samsa-flush' answers with a marker once every earlier report is on its way.
 */
const HOOK = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  if (specifier === 'samsa-flush') {
    port.postMessage('samsa-flush');
    return { url: 'data:text/javascript,', shortCircuit: true };
  }
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}`;

/**
 * Runs `body` (an async function body with `u(path)` mapping dist/src paths to URLs) in a new Node
 * process and returns the URLs of every module it loaded from node_modules.
 */
async function packagesLoadedBy(body: string): Promise<string[]> {
  const script = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const seen = new Set();
const { port1, port2 } = new MessageChannel();
let flushed;
const allReported = new Promise((r) => (flushed = r));
port1.on('message', (m) => (m === 'samsa-flush' ? flushed() : seen.add(m)));
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { port: port2 }, transferList: [port2] });
const u = (p) => new URL(p, ${JSON.stringify(url('./') + '/')}).href;
await (async () => { ${body} })();
await import('samsa-flush');
await allReported;
port1.close();
for (const k of Object.keys(createRequire(import.meta.url).cache)) seen.add(k);
process.stdout.write(JSON.stringify([...seen].filter((s) => s.includes('node_modules'))));
`;
  const r = await runProcess(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 60_000 });
  assert.equal(r.timedOut, false, 'the child process finished');
  assert.equal(r.code, 0, `child failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.toString()) as string[];
}

const platformatic = (mods: string[]): string[] => mods.filter((m) => m.includes('@platformatic/kafka'));

test('importing the embedded API and running a broker loads no module of @platformatic/kafka', async () => {
  const mods = await packagesLoadedBy(`
    const { startBroker } = await import(u('index.js'));
    const b = await startBroker({ port: 0 });
    await b.stop();
  `);
  assert.deepEqual(platformatic(mods), [], `loaded: ${platformatic(mods).join(', ')}`);
  assert.ok(mods.length > 0, 'the hook saw the broker load its own dependencies (compression, crc32)');
});

test("the 'samsa start' command module and the CLI's protocol client load no module of @platformatic/kafka", async () => {
  const mods = await packagesLoadedBy(`
    await import(u('cli/start-command.js'));
    await import(u('cli/client.js'));
    await import(u('client/group-admin.js'));
  `);
  assert.deepEqual(platformatic(mods), [], `loaded: ${platformatic(mods).join(', ')}`);
});

test('control: the check sees @platformatic/kafka once a CLI client command loads it', async () => {
  const mods = await packagesLoadedBy(`
    const { loadKafka } = await import(u('cli/client.js'));
    await loadKafka();
  `);
  assert.ok(platformatic(mods).length > 0, 'loadKafka() loaded the library and the hook saw it');
});

test('the REST proxy (fastify and the schema codecs) is loaded only by a broker with rest.proxy.listeners', async () => {
  // Top-level packages only (the etcd client's gRPC loader has a protobufjs of its own).
  const proxyDeps = (mods: string[]): string[] => mods.filter((m) => /node_modules\/(fastify|avsc|protobufjs|ajv)\//.test(m) && m.split('node_modules').length === 2);
  const without = await packagesLoadedBy(`
    const { startBroker } = await import(u('index.js'));
    const b = await startBroker({ port: 0 });
    await b.stop();
  `);
  assert.deepEqual(proxyDeps(without), [], `loaded: ${proxyDeps(without).slice(0, 5).join(', ')}`);
  const withProxy = await packagesLoadedBy(`
    const { startBroker } = await import(u('index.js'));
    const b = await startBroker({ port: 0, config: { 'rest.proxy.listeners': 'http://127.0.0.1:0' } });
    await b.stop();
  `);
  assert.ok(proxyDeps(withProxy).some((m) => m.includes('node_modules/fastify/')), 'control: the configured proxy loads fastify');
});
