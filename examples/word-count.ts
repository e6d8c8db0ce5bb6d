/**
 * Word count, the canonical Kafka Streams example, with samsa/streams: reads lines of text from
 * --input, splits them into lower-case words, counts each word and writes the running count to
 * --output (key: the word, value: the count as a decimal string). Runs until SIGINT/SIGTERM.
 *
 *   node dist/examples/word-count.js --bootstrap-server localhost:9092 \
 *     --input text-lines --output word-counts --application-id word-count
 */
import { parseArgs } from 'node:util';
import { KafkaStreams, Serdes, StreamsBuilder, type Topology } from '../src/streams/index.js';

/** The word-count topology (also used by the tests). */
export function wordCountTopology(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string | null, string>(input, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .flatMapValues((line) => (line ?? '').toLowerCase().split(/\W+/).filter((w) => w.length > 0))
    .groupBy((_key, word) => word, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .count({ storeName: 'counts' })
    .toStream()
    .mapValues((n) => String(n))
    .to(output, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  return builder.build();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'bootstrap-server': { type: 'string', default: 'localhost:9092' },
      input: { type: 'string', default: 'streams-plaintext-input' },
      output: { type: 'string', default: 'streams-wordcount-output' },
      'application-id': { type: 'string', default: 'streams-wordcount' },
      'state-dir': { type: 'string' },
      'commit-interval-ms': { type: 'string', default: '1000' },
    },
  });
  const topology = wordCountTopology(values.input, values.output);
  process.stdout.write(`${topology.describe()}\n`);
  const streams = new KafkaStreams(topology, {
    applicationId: values['application-id'],
    bootstrapServers: values['bootstrap-server'],
    commitIntervalMs: Number(values['commit-interval-ms']),
    ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
    onError: (e) => process.stderr.write(`word-count: ${e instanceof Error ? e.message : String(e)}\n`),
  });
  await streams.start();
  process.stdout.write(`word-count running (application id ${values['application-id']})\n`);
  const stop = (): void => {
    streams.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`word-count: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
