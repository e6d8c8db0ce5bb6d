/**
 * The set-up the confluent-kafka quota tests share: a broker with short quota windows, a topic
 * with a quota set by AlterClientQuotas, and a Python prelude that reads the job and records
 * librdkafka's throttle_time_ms per client id from its statistics.
 */
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { withClient } from '../helpers/wire.js';

export const WARM_S = 4;
export const MEASURE_S = 10;

/**
 * A broker for the test file (started in `before`, stopped in `after`) with two quota windows of
 * 1 s: Kafka's sampled rate lets a client that always has data use a whole window's allowance at
 * once, so with the default 11 windows its bursts are 10 s of quota every 11 s and a 10 s
 * measurement depends on where they fall; two windows make the bursts 1 s of quota and the rate
 * over any 10 s close to the quota.
 */
export function useQuotaBroker(hooks: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void }): () => RunningBroker {
  let broker: RunningBroker | undefined;
  hooks.before(async () => {
    broker = await startBroker({ port: 0, config: { 'num.partitions': 1, 'quota.window.num': 2, 'quota.window.size.seconds': 1 } });
  });
  hooks.after(async () => {
    await broker?.stop();
  });
  return () => {
    if (broker === undefined) throw new Error('the quota broker has not started');
    return broker;
  };
}

/** Creates a one-partition topic and sets `key` = `value` on the quota entity `entity`. */
export async function createTopicWithQuota(port: number, topic: string, entity: { entityType: string; entityName: string }[], key: string, value: number): Promise<void> {
  await withClient(port, async (c) => {
    const created = await c.request<{ topics: { errorCode: number }[] }>(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0]?.errorCode, 0);
    const altered = await c.request<{ entries: { errorCode: number }[] }>(49, 1, { entries: [{ entity, ops: [{ key, value, remove: false }] }], validateOnly: false });
    assert.deepEqual(altered.entries.map((e) => e.errorCode), [0]);
  });
}

/**
 * Python prepended to each script: `bs`, `topic`, `warm`, `measure` from the job, `errors`, and
 * `throttles[client id]` (the broker's throttle max seen in each statistics report of `stats_cb(client id)`).
 */
const PRELUDE = String.raw`
import json, sys, threading, time
job = json.load(sys.stdin)
bs, topic = job['bootstrap'], job['topic']
warm, measure = job['warm'], job['measure']
errors = []
throttles = {cid: [] for cid in job['clients']}
def stats_cb(name):
    def cb(s):
        for b in json.loads(s).get('brokers', {}).values():
            if b.get('nodeid', -1) >= 0:
                throttles[name].append(b['throttle']['max'])
    return cb
`;

/** Runs PRELUDE + `script` against the broker's topic, with `clients` the client ids whose throttles it records; its JSON output. */
export async function runQuotaScript<T>(script: string, broker: RunningBroker, topic: string, clients: readonly string[], what: string): Promise<T> {
  const r = await runPython(PRELUDE + script, [], { input: JSON.stringify({ bootstrap: broker.bootstrap, topic, warm: WARM_S, measure: MEASURE_S, clients }), timeoutMs: 150_000 });
  return pythonJson<T>(r, what);
}
