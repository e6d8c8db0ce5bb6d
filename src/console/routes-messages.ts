/**
 * The console API's message browser and producer.
 *
 * Browsing reads one partition (or each partition of the topic) from a start point: an offset,
 * a timestamp (ListOffsets: the first record at or after it) or the newest N (log end - N). It
 * fetches from the partition's leader in bounded steps (FETCH_BYTES per Fetch) until `limit`
 * records matched the filter, `scan` records were read, or the high watermark is reached, and
 * answers each key, value and header value as base64 cut to `preview` bytes with its real size,
 * so a browser never receives an unbounded value; "show all" asks again for one record with a
 * larger preview (at most PREVIEW_MAX). The answer's `next` offsets continue a live tail. With
 * `decode=schema` (a schema registry configured), keys and values in Confluent's wire format are
 * also answered decoded (schema-decoder.ts) as JSON text cut to 4 x `preview` characters.
 *
 * Producing sends one record (text or base64 key and value, text headers) to a partition chosen
 * by the caller, or by Kafka's default partitioner (murmur2 of the key; round robin without).
 */
import type { FastifyInstance } from 'fastify';
import { OffsetSpec, tpKey } from '../client/admin.js';
import type { TopicMeta } from '../client/cluster-client.js';
import { fetchRecords, produceRecords } from '../client/record-io.js';
import { partitionForKey } from '../common/murmur2.js';
import type { KafkaRecord } from '../protocol/records/record.js';
import { badRequest, notFound } from './api-error.js';
import type { ConsoleContext } from './context.js';
import { type Decoded } from './schema-decoder.js';
import { isEmptyFilter, matches, parseJsonPath, type MessageFilter } from './message-filter.js';
import { int, oneOf, optString, record, topicName } from './validate.js';

const FETCH_BYTES = 1024 * 1024;
const LIMIT_MAX = 500;
const SCAN_DEFAULT = 10_000;
const SCAN_MAX = 200_000;
const PREVIEW_DEFAULT = 2048;
const PREVIEW_MAX = 4 * 1024 * 1024;
/** A produced key or value: at most this many bytes. */
const PRODUCE_MAX = 1024 * 1024;
const HEADERS_MAX = 100;

interface Bytes {
  size: number;
  /** base64 of the first `preview` bytes. */
  base64: string;
  truncated: boolean;
  /** With decode=schema, for bytes in Confluent's wire format. */
  decoded?: Decoded;
}

const bytesOf = (b: Buffer | null, preview: number): Bytes | null => (b === null ? null : { size: b.length, base64: b.subarray(0, preview).toString('base64'), truncated: b.length > preview });

interface Browse {
  partitions: number[];
  mode: 'offset' | 'timestamp' | 'newest';
  offset: number;
  timestamp: number;
  limit: number;
  scan: number;
  preview: number;
  decode: boolean;
  filter: MessageFilter;
}

function parseBrowse(q: Record<string, unknown>, t: TopicMeta | undefined, topic: string): Browse {
  if (!t || t.errorCode !== 0) throw notFound(`Topic '${topic}' does not exist`);
  const all = t.partitions.map((p) => p.partition);
  const p = q['partition'];
  const partitions = p === undefined || p === '' || p === 'all' ? all : [int(p, 'partition', 0, 1_000_000)];
  if (!all.includes(partitions[0] as number)) throw notFound(`Partition ${String(p)} of '${topic}' does not exist`);
  const header = optString(q['header'], 'header', 1000);
  const jsonPath = optString(q['jsonPath'], 'jsonPath', 1000);
  const eq = header?.indexOf('=') ?? -1;
  const filter: MessageFilter = {
    key: optString(q['key'], 'key', 1000),
    value: optString(q['value'], 'value', 1000),
    header: header === null ? null : { name: eq < 0 ? header : header.slice(0, eq), value: eq < 0 ? null : header.slice(eq + 1) },
    jsonPath: jsonPath === null ? null : parseJsonPath(jsonPath),
    jsonValue: optString(q['jsonValue'], 'jsonValue', 1000),
  };
  return {
    partitions,
    mode: oneOf(q['mode'], 'mode', ['offset', 'timestamp', 'newest'] as const, 'newest'),
    offset: int(q['offset'], 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
    timestamp: int(q['timestamp'], 'timestamp', 0, Number.MAX_SAFE_INTEGER, 0),
    limit: int(q['limit'], 'limit', 1, LIMIT_MAX, 50),
    scan: int(q['scan'], 'scan', 1, SCAN_MAX, SCAN_DEFAULT),
    preview: int(q['preview'], 'preview', 0, PREVIEW_MAX, PREVIEW_DEFAULT),
    decode: oneOf(q['decode'], 'decode', ['none', 'schema'] as const, 'none') === 'schema',
    filter,
  };
}

export function messageRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/topics/:topic/messages', async (req) => {
    const topic = topicName((req.params as Record<string, string>)['topic']);
    const b = parseBrowse(req.query as Record<string, unknown>, await ctx.cluster.topic(topic), topic);
    const parts = b.partitions.map((partition) => ({ topic, partition }));
    const [starts, ends] = await Promise.all([ctx.offsetsAt(parts, OffsetSpec.EARLIEST), ctx.offsetsAt(parts, OffsetSpec.LATEST)]);
    const byTime = b.mode === 'timestamp' ? await ctx.offsetsAt(parts, BigInt(b.timestamp)) : null;
    const filtered = !isEmptyFilter(b.filter);
    const found: { partition: number; r: KafkaRecord }[] = [];
    const next: Record<number, number> = {};
    let scanned = 0;
    for (const partition of b.partitions) {
      const k = tpKey(topic, partition);
      const lo = starts.get(k);
      const hi = ends.get(k);
      if (lo === undefined || hi === undefined) continue;
      let from: bigint;
      if (b.mode === 'offset') from = BigInt(b.offset);
      else if (b.mode === 'timestamp') from = (byTime?.get(k) ?? -1n) < 0n ? hi : (byTime?.get(k) as bigint);
      else from = hi - BigInt(filtered ? b.scan : b.limit);
      if (from < lo) from = lo;
      if (from > hi) from = hi;
      const mine: KafkaRecord[] = [];
      let pos = from;
      let read = 0;
      // Newest N with a filter keeps the last `limit` matches of the scanned window. `pos` ends
      // just past the last record looked at, never past `hi`: a Fetch may return records appended
      // after the ListOffsets (or past the scan or match limit), and a live tail continuing from
      // `next` must still see them.
      while (pos < hi && read < b.scan && (b.mode === 'newest' || mine.length < b.limit)) {
        const got = await fetchRecords(ctx.cluster, topic, partition, pos, { maxBytes: FETCH_BYTES });
        if (got.nextOffset <= pos) break;
        let stop: bigint | null = null;
        for (const r of got.records) {
          if (r.offset >= hi || read >= b.scan) {
            stop = r.offset < hi ? r.offset : hi;
            break;
          }
          read++;
          if (!filtered || matches(r, b.filter)) mine.push(r);
          if (b.mode !== 'newest' && mine.length >= b.limit) {
            stop = r.offset + 1n;
            break;
          }
        }
        pos = stop ?? (got.nextOffset < hi ? got.nextOffset : hi);
      }
      scanned += read;
      const kept = b.mode === 'newest' ? mine.slice(-b.limit) : mine.slice(0, b.limit);
      const last = kept[kept.length - 1];
      next[partition] = Number(b.mode !== 'newest' && kept.length >= b.limit && last ? last.offset + 1n : pos);
      for (const r of kept) found.push({ partition, r });
    }
    found.sort((x, y) => (b.partitions.length === 1 ? Number(x.r.offset - y.r.offset) : Number(x.r.timestamp - y.r.timestamp) || x.partition - y.partition || Number(x.r.offset - y.r.offset)));
    const page = b.mode === 'newest' ? found.slice(-b.limit) : found.slice(0, b.limit);
    const decoder = ctx.decoder;
    if (b.decode && decoder === null) throw badRequest('decode=schema needs a schema registry', 'Start the console with --schema-registry URL.');
    const maxChars = Math.max(b.preview, 1024) * 4;
    const shown = async (v: Buffer | null): Promise<Bytes | null> => {
      const out = bytesOf(v, b.preview);
      if (out === null || v === null || !b.decode || decoder === null) return out;
      const decoded = await decoder.decode(v, maxChars);
      return decoded === null ? out : { ...out, decoded };
    };
    const records = await Promise.all(
      page.map(async ({ partition, r }) => ({
        partition,
        offset: Number(r.offset),
        timestamp: Number(r.timestamp),
        key: await shown(r.key),
        value: await shown(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: bytesOf(h.value, b.preview) })),
      })),
    );
    return {
      topic,
      scanned,
      next,
      partitions: Object.fromEntries(b.partitions.map((p) => [p, { startOffset: Number(starts.get(tpKey(topic, p)) ?? -1n), endOffset: Number(ends.get(tpKey(topic, p)) ?? -1n) }])),
      records,
    };
  });

  app.post('/api/topics/:topic/messages', async (req, reply) => {
    const topic = topicName((req.params as Record<string, string>)['topic']);
    const body = record(req.body, 'body');
    const encoding = oneOf(body['encoding'], 'encoding', ['text', 'base64'] as const, 'text');
    const bytes = (v: unknown, field: string): Buffer | null => {
      if (v === null || v === undefined) return null;
      if (typeof v !== 'string') throw badRequest(`Invalid ${field}: expected text`);
      const b = encoding === 'base64' ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8');
      if (b.length > PRODUCE_MAX) throw badRequest(`${field} is larger than ${PRODUCE_MAX} bytes`);
      return b;
    };
    const key = bytes(body['key'], 'key');
    const value = bytes(body['value'], 'value');
    const rawHeaders = body['headers'] ?? [];
    if (!Array.isArray(rawHeaders) || rawHeaders.length > HEADERS_MAX) throw badRequest(`Invalid headers: expected a list of at most ${HEADERS_MAX} {key, value}`);
    const headers = rawHeaders.map((h: unknown) => {
      const o = record(h, 'header');
      const k = optString(o['key'], 'header key', 1000);
      if (k === null) throw badRequest('Invalid header: the key is empty');
      return { key: k, value: o['value'] === null || o['value'] === undefined ? null : Buffer.from(String(o['value']), 'utf8') };
    });
    const t = await ctx.cluster.topic(topic);
    if (!t || t.errorCode !== 0) throw notFound(`Topic '${topic}' does not exist`);
    const count = t.partitions.length;
    const partition = body['partition'] === undefined || body['partition'] === null || body['partition'] === '' ? (key !== null ? partitionForKey(key, count) : Math.floor(Math.random() * count)) : int(body['partition'], 'partition', 0, count - 1);
    const offset = await produceRecords(ctx.cluster, topic, partition, [{ key, value, headers }]);
    reply.code(201);
    return { topic, partition, offset: Number(offset) };
  });
}
