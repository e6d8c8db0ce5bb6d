/**
 * Word count, the canonical Kafka Streams example, with samsa/streams: reads lines of text from
 * --input, splits them into lower-case words, counts each word and writes the running count to
 * --output (key: the word, value: the count as a decimal string). Runs until SIGINT/SIGTERM.
 *
 *   node dist/examples/word-count.js --bootstrap-server localhost:9092 \
 *     --input text-lines --output word-counts --application-id word-count
 */
import { Serdes, StreamsBuilder, type Topology } from '../src/streams/index.js';
import { fail, isMain, runExample } from './run-app.js';

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

if (isMain(import.meta.url)) runExample('word-count', { input: 'streams-plaintext-input', output: 'streams-wordcount-output' }, (t) => wordCountTopology(t.input ?? '', t.output ?? '')).catch(fail('word-count'));
