/**
 * A samsa/streams application run as a child process by exactly-once-kill.test.ts (so kill -9 is
 * real): counts the records of --input per key with exactly_once_v2 and writes each running count
 * to --output (value: the count as a decimal string). Prints `running`, then one line per task
 * restored: `restored <task> <records> <ms> <standby|changelog>`, and `state ...` lines when its state
 * or tasks change; errors go to stderr.
 *
 *   node dist/test/streams/eos-count-app.js --bootstrap-server H:P --input I --output O --application-id A --state-dir D
 */
import { parseArgs } from 'node:util';
import { KafkaStreams, Serdes, StreamsBuilder } from '../../src/streams/index.js';

const { values } = parseArgs({
  options: {
    'bootstrap-server': { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    'application-id': { type: 'string' },
    'state-dir': { type: 'string' },
    'standby-replicas': { type: 'string', default: '0' },
  },
});

const builder = new StreamsBuilder();
builder
  .stream<string, string>(String(values.input), { keySerde: Serdes.String(), valueSerde: Serdes.String() })
  .groupByKey()
  .count({ storeName: 'counts' })
  .toStream()
  .mapValues((n) => String(n))
  .to(String(values.output), { keySerde: Serdes.String(), valueSerde: Serdes.String() });

const app = new KafkaStreams(builder.build(), {
  applicationId: String(values['application-id']),
  bootstrapServers: String(values['bootstrap-server']),
  stateDir: String(values['state-dir']),
  processingGuarantee: 'exactly_once_v2',
  commitIntervalMs: 100,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  numStandbyReplicas: Number(values['standby-replicas']),
  onError: (e) => process.stderr.write(`eos-count-app: ${e instanceof Error ? e.message : String(e)}\n`),
  onRestored: (e) => process.stdout.write(`restored ${e.task} ${e.records} ${Math.round(e.ms)} ${e.wasStandby ? 'standby' : 'changelog'}\n`),
});
await app.start();
process.stdout.write('running\n');
// For diagnosis when a test fails: the state and active tasks, whenever they change.
let last = '';
setInterval(() => {
  const now = `${app.state} ${app.activeTasks().join(',')} processed ${app.processedRecords} aborted ${app.abortedTransactions}`;
  if (now.split(' processed')[0] !== last.split(' processed')[0]) process.stdout.write(`state ${now}\n`);
  last = now;
}, 500).unref();
const stop = (): void => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
