/**
 * Requests that reach the broker over TLS in pieces (network/prompt-ack.ts). librdkafka (kcat,
 * Nagle's algorithm on by default) writes a request one buffer segment at a time over TLS: a
 * 6-partition FetchRequest a little over its first 256-byte segment (a topic name of 27+
 * characters) goes as two TLS records, and the client's Nagle holds the second until the first is
 * ACKed. The broker's kernel delays that ACK (at least 40 ms, TCP_DELACK_MIN) unless the broker
 * asks for it at once, so before the fix every such fetch took 40+ ms and consumers over TLS read
 * ~8x slower.
 * Observed from the client: its own protocol log gives each FetchResponse's round trip. A fetch
 * that waited for a delayed ACK cannot take less than the kernel's 40 ms floor, so the test
 * counts fetches at or over that floor (before the fix: every fetch whose request carried all six
 * partitions, 50-75% of them, whatever the load; after: none on an idle machine) and asserts they
 * are at most a quarter; the figures are printed, not asserted as a rate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/index.js';
import { zeroCopyAvailable } from '../../src/network/zero-copy-send.js';
import { KCAT } from '../helpers/compat.js';
import { makeTestCerts } from '../helpers/certs.js';
import { runProcess } from '../helpers/run-process.js';

/** The kernel's minimum delayed-ACK time (Linux TCP_DELACK_MIN): no fetch that waited for one is faster. */
const DELAYED_ACK_FLOOR_MS = 40;
const RECORDS = 120;

interface FetchFigures {
  requestBytes: number[];
  rtts: number[];
}

/** The FetchRequest sizes and the round trips of FetchResponses that came back without a long poll. */
function fetchFigures(log: string, maxWaitMs: number): FetchFigures {
  const requestBytes = [...log.matchAll(/Sent FetchRequest \(v\d+, (\d+) bytes/g)].map((m) => Number(m[1]));
  const rtts = [...log.matchAll(/Received FetchResponse \(v\d+, \d+ bytes, CorrId \d+, rtt ([\d.]+)ms\)/g)]
    .map((m) => Number(m[1]))
    // A fetch with nothing to read waits up to fetch.wait.max.ms (at the end): not a data round trip.
    .filter((rtt) => rtt < maxWaitMs / 2);
  return { requestBytes, rtts };
}

test('SSL consumers with topic names of 24-40 characters (6 partitions): fetches do not wait for the broker\'s delayed ACK of a request split across TLS records', { skip: process.platform !== 'linux' || !zeroCopyAvailable ? 'needs Linux and the native addon' : false, timeout: 300_000 }, async (t) => {
  const certs = makeTestCerts();
  t.after(() => certs.remove());
  const broker = await startBroker({
    port: 0,
    config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem, 'num.partitions': 6, 'auto.create.topics.enable': true },
  });
  t.after(() => broker.stop());
  const ssl = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`];
  const maxWaitMs = 2000;
  const lines: string[] = [];
  const failures: string[] = [];
  // Around the boundary seen with the bench's librdkafka (27) and further out.
  for (const length of [24, 26, 27, 28, 29, 32, 40]) {
    const topic = `t${'x'.repeat(length - 1)}`;
    // One batch per record, spread over the partitions.
    const values = Array.from({ length: RECORDS }, (_, i) => `value-${i}-${'v'.repeat(100)}`);
    const produced = await runProcess(KCAT, ['-P', '-b', broker.bootstrap, '-t', topic, '-X', 'linger.ms=0', '-X', 'batch.num.messages=1', ...ssl], { input: `${values.join('\n')}\n`, timeoutMs: 60_000 });
    assert.equal(produced.code, 0, produced.stderr.toString());
    // Small fetches (one batch per partition) so that reading the records takes many round trips.
    const consumed = await runProcess(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-f', '%s\\n',
      '-X', 'max.partition.fetch.bytes=1', '-X', `fetch.wait.max.ms=${maxWaitMs}`, '-X', 'debug=protocol', ...ssl], { timeoutMs: 120_000 });
    assert.equal(consumed.code, 0, consumed.stderr.toString());
    const got = consumed.stdout.toString().split('\n').filter((l) => l !== '');
    assert.equal(got.length, RECORDS, `topic of ${length} characters: records read back`);
    const { requestBytes, rtts } = fetchFigures(consumed.stderr.toString(), maxWaitMs);
    const delayed = rtts.filter((r) => r >= DELAYED_ACK_FLOOR_MS).length;
    const sorted = [...rtts].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    lines.push(`${length} chars: FetchRequest ${Math.min(...requestBytes)}-${Math.max(...requestBytes)} bytes, ${rtts.length} fetches, median rtt ${median.toFixed(1)} ms, ${delayed} at or over ${DELAYED_ACK_FLOOR_MS} ms`);
    assert.ok(rtts.length >= 10, `topic of ${length} characters: only ${rtts.length} fetches`);
    if (delayed * 4 > rtts.length) failures.push(`${length} chars: ${delayed} of ${rtts.length} fetches took ${DELAYED_ACK_FLOOR_MS} ms or more`);
  }
  t.diagnostic(lines.join('; '));
  // (With a native addon built before quickAck existed, the fix is off: rebuild it, node scripts/build-native.mjs.)
  assert.deepEqual(failures, [], lines.join('\n'));
});
