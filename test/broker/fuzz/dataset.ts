/**
 * The fuzz test's known data set: records produced before fuzzing, read back with the wire helper
 * and compared record by record. Records appended later (a mutated Produce may legitimately hit
 * the topic) are ignored; the first `count` records of each partition must be exactly as written.
 */
import { CompressionType } from '../../../src/protocol/records/batch-header.js';
import { decodeRecordBatch, encodeRecordBatch, iterateBatches, readBatchHeader } from '../../../src/protocol/records/record.js';
import { withClient } from '../../helpers/wire.js';

export interface DatasetRecord {
  key: string;
  value: string;
  header: string;
}

export interface Dataset {
  topic: string;
  topicId: string;
  partitions: number;
  /** Expected records per partition, from offset 0. */
  records: DatasetRecord[][];
}

const CODECS = [CompressionType.none, CompressionType.gzip, CompressionType.zstd, CompressionType.lz4];

/** Creates the topic and writes `batches` batches of `perBatch` records to each partition. */
export async function writeDataset(port: number, topic: string, partitions = 2, batches = 4, perBatch = 25): Promise<Dataset> {
  return withClient(port, async (c) => {
    const code = await c.createTopic(topic, partitions);
    if (code !== 0) throw new Error(`creating ${topic}: error ${code}`);
    const records: DatasetRecord[][] = [];
    for (let p = 0; p < partitions; p++) {
      const part: DatasetRecord[] = [];
      for (let b = 0; b < batches; b++) {
        const batch: DatasetRecord[] = Array.from({ length: perBatch }, (_, i) => {
          const n = b * perBatch + i;
          return { key: `${topic}-p${p}-k${n}`, value: `value ${n} of partition ${p}: ${'ab'.repeat(n % 37)}`, header: `h${n}` };
        });
        const res = await c.produce(topic, p, encodeRecordBatch({ compression: CODECS[b % CODECS.length] as number, records: batch.map((r) => ({ key: r.key, value: r.value, headers: [{ key: 'n', value: r.header }] })) }));
        if (res.errorCode !== 0) throw new Error(`producing to ${topic}-${p}: error ${res.errorCode}`);
        part.push(...batch);
      }
      records.push(part);
    }
    const md = await c.metadata([topic]);
    return { topic, topicId: md.topics[0].topicId as string, partitions, records };
  });
}

/** Reads the data set back; returns null when intact, else what differs. */
export async function checkDataset(port: number, ds: Dataset): Promise<string | null> {
  return withClient(port, async (c) => {
    for (let p = 0; p < ds.partitions; p++) {
      const want = ds.records[p] as DatasetRecord[];
      const got: DatasetRecord[] = [];
      let offset = 0n;
      for (let round = 0; got.length < want.length; round++) {
        if (round > 1000) return `${ds.topic}-${p}: read did not converge at offset ${offset}`;
        const res = await c.fetchOnce(ds.topic, p, offset, 1 << 20);
        if (res.errorCode !== 0) return `${ds.topic}-${p}: fetch at ${offset} failed with error ${res.errorCode}`;
        if (offset === 0n && res.logStartOffset !== 0n) return `${ds.topic}-${p}: log start offset is ${res.logStartOffset}`;
        const buf = res.records ?? Buffer.alloc(0);
        let progressed = false;
        let problem: string | null = null;
        try {
          iterateBatches(buf, (pos, size) => {
          const h = readBatchHeader(buf, pos);
          if (h.baseOffset >= BigInt(want.length)) return false; // beyond the data set: appended later
          try {
            const batch = decodeRecordBatch(buf.subarray(pos, pos + size), 0, { verifyCrc: true });
            for (const r of batch.records) {
              if (r.offset < offset) continue;
              if (r.offset !== BigInt(got.length)) {
                problem = `${ds.topic}-${p}: expected offset ${got.length}, read ${r.offset}`;
                return false;
              }
              got.push({ key: r.key?.toString() ?? '<null>', value: r.value?.toString() ?? '<null>', header: r.headers[0]?.value?.toString() ?? '<none>' });
              offset = r.offset + 1n;
              progressed = true;
              if (got.length >= want.length) return false;
            }
          } catch (e) {
            problem = `${ds.topic}-${p}: batch at offset ${h.baseOffset} does not decode: ${(e as Error).message}`;
            return false;
          }
          return true;
          });
        } catch (e) {
          return `${ds.topic}-${p}: fetched records at ${offset} do not parse: ${(e as Error).message}`;
        }
        if (problem !== null) return problem;
        if (!progressed) return `${ds.topic}-${p}: no records at offset ${offset} (high watermark ${res.highWatermark})`;
      }
      for (let i = 0; i < want.length; i++) {
        const w = want[i] as DatasetRecord;
        const g = got[i] as DatasetRecord;
        if (w.key !== g.key || w.value !== g.value || w.header !== g.header) return `${ds.topic}-${p} offset ${i}: wrote ${JSON.stringify(w)}, read ${JSON.stringify(g)}`;
      }
    }
    return null;
  });
}
