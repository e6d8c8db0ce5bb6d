/**
 * The message browser's live tail over the JSON API while records are being produced: a tail
 * starts with a "newest N" read and continues from its `next` offsets (as the console's UI does).
 * A read's `next` must not pass a record it did not look at: the read takes the log end offset
 * (ListOffsets) first and fetches afterwards, so a Fetch can return records appended in between;
 * those must come in the tail's next step, not be skipped (CI saw a record produced right after the
 * tail started never appear).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsoleBroker, type ConsoleBroker } from './console-fixture.js';

let cb: ConsoleBroker;
before(async () => {
  cb = await startConsoleBroker();
});
after(async () => {
  await cb?.stop();
});

interface Browse {
  next: Record<string, number>;
  partitions: Record<string, { startOffset: number; endOffset: number }>;
  records: { partition: number; offset: number }[];
}

async function browse(topic: string, q: Record<string, string | number>): Promise<Browse> {
  const qs = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`${cb.url}/api/topics/${topic}/messages?${qs.toString()}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Browse;
}

async function produce(topic: string, value: string): Promise<number> {
  const res = await fetch(`${cb.url}/api/topics/${topic}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value, partition: 0 }) });
  assert.equal(res.status, 201);
  return ((await res.json()) as { offset: number }).offset;
}

test('a live tail started while records are produced sees every record after its start, once', { timeout: 120_000 }, async () => {
  const topic = 'tail-race';
  const created = await fetch(`${cb.url}/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: topic, partitions: 1 }) });
  assert.equal(created.status, 201);
  await produce(topic, 'first');

  // Two producers keep appending while tails start and take a few steps each.
  let producing = true;
  let produced = 0;
  const producers = [0, 1].map(async (w) => {
    while (producing) {
      await produce(topic, `w${w}-${produced}`);
      produced++;
    }
  });
  const problems: string[] = [];
  const TAILS = 40;
  let tails = 0;
  try {
    for (; tails < TAILS; tails++) {
      const start = await browse(topic, { mode: 'newest', limit: 3 });
      const end = start.partitions['0']?.endOffset ?? -1;
      let next = start.next['0'] ?? -1;
      if (next > end) problems.push(`tail ${tails}: the start read's next ${next} is past the log end ${end} it read up to`);
      const seen = start.records.map((r) => r.offset);
      for (let s = 0; s < 3; s++) {
        const step = await browse(topic, { partition: 0, mode: 'offset', offset: next, limit: 500 });
        seen.push(...step.records.map((r) => r.offset));
        next = step.next['0'] ?? next;
      }
      const first = seen[0] ?? next;
      for (let i = 0; i < seen.length; i++) {
        if (seen[i] !== first + i) {
          problems.push(`tail ${tails}: offsets ${seen.join(',')} (expected consecutive from ${first})`);
          break;
        }
      }
      if (problems.length >= 5) break;
    }
  } finally {
    producing = false;
    await Promise.all(producers);
  }
  assert.ok(produced > TAILS, `the producers kept appending during the tails (${produced} records)`);
  assert.deepEqual(problems, []);
});
