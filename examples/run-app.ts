/**
 * The command line shared by the Streams examples: --bootstrap-server, --application-id,
 * --state-dir, --commit-interval-ms, --processing-guarantee (at_least_once, exactly_once_v2) plus the example's own topic options; prints the topology,
 * runs it until SIGINT/SIGTERM and closes it cleanly.
 */
import { parseArgs } from 'node:util';
import { KafkaStreams, type Topology } from '../src/streams/index.js';

export async function runExample(name: string, topics: Record<string, string>, topology: (t: Record<string, string>) => Topology): Promise<void> {
  const { values } = parseArgs({
    options: {
      'bootstrap-server': { type: 'string', default: 'localhost:9092' },
      'application-id': { type: 'string', default: name },
      'state-dir': { type: 'string' },
      'commit-interval-ms': { type: 'string', default: '1000' },
      'processing-guarantee': { type: 'string', default: 'at_least_once' },
      ...Object.fromEntries(Object.entries(topics).map(([k, v]) => [k, { type: 'string' as const, default: v }])),
    },
  });
  const all = values as Record<string, string | boolean | undefined>;
  const t = topology(Object.fromEntries(Object.keys(topics).map((k) => [k, String(all[k])])));
  process.stdout.write(`${t.describe()}\n`);
  const streams = new KafkaStreams(t, {
    applicationId: String(values['application-id']),
    bootstrapServers: String(values['bootstrap-server']),
    commitIntervalMs: Number(values['commit-interval-ms']),
    processingGuarantee: values['processing-guarantee'] === 'exactly_once_v2' ? 'exactly_once_v2' : 'at_least_once',
    ...(values['state-dir'] !== undefined ? { stateDir: String(values['state-dir']) } : {}),
    onError: (e) => process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`),
  });
  await streams.start();
  process.stdout.write(`${name} running (application id ${String(values['application-id'])})\n`);
  const stop = (): void => {
    streams.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export const isMain = (url: string): boolean => url === `file://${process.argv[1]}`;

export function fail(name: string): (e: unknown) => void {
  return (e) => {
    process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  };
}
