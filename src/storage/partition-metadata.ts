/**
 * The `partition.metadata` file of a partition directory (Kafka's PartitionMetadataFile): the id of
 * the topic the directory belongs to, so a directory left behind by a deleted topic is never
 * loaded as the log of a re-created topic of the same name (which gets a new id).
 * Format, as Kafka writes it:
 *   version: 0
 *   topic_id: <base64url uuid, 22 chars>
 * Written (fsynced, via a tmp file and rename) right after the directory is created and before
 * any segment, so a directory holding records always names its topic. Samsa deviation: none in the
 * format; a directory without the file (written before Samsa recorded topic ids) is adopted by the
 * topic of its name, as Kafka adopts logs from before KIP-516.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from './fs-util.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';

export class PartitionMetadataError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'PartitionMetadataError';
  }
}

/** Writes `topicId` into `dir`/partition.metadata (durably). */
export function writePartitionMetadata(dir: string, topicId: string): void {
  atomicWriteFile(join(dir, PARTITION_METADATA_FILE), `version: 0\ntopic_id: ${topicId}\n`);
}

/** The topic id recorded in `dir`, or undefined when the file does not exist. Throws PartitionMetadataError when malformed. */
export function readPartitionMetadata(dir: string): string | undefined {
  const file = join(dir, PARTITION_METADATA_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const version = /^version:\s*(\d+)$/.exec(lines[0]?.trim() ?? '');
  if (version === null || version[1] !== '0') throw new PartitionMetadataError(file, `unsupported or missing version line '${lines[0] ?? ''}'`);
  const id = /^topic_id:\s*([A-Za-z0-9_-]{22})$/.exec(lines[1]?.trim() ?? '');
  if (id === null) throw new PartitionMetadataError(file, `malformed topic_id line '${lines[1] ?? ''}'`);
  return id[1] as string;
}
