/**
 * The application's state directory `<state.dir>/<application.id>/`: one sub-directory per task
 * (its stores and checkpoints) and the file `kafka-streams-process-metadata`, which holds the
 * instance's process id.
 *
 * Kafka's rule kept (StateDirectory): the process id is made on the first start and read back on
 * every later one, so a restarted instance keeps its identity (under exactly_once_v2 its
 * transactional id `<application.id>-<process id>-<thread>`, whose InitProducerId then aborts the
 * transaction a killed predecessor left open). Samsa's deviation: the directory is not locked, so
 * two instances must not be given the same one.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROCESS_FILE = 'kafka-streams-process-metadata';

/** The process id of `<stateDir>/<applicationId>`, made and saved when there is none. */
export function processId(stateDir: string, applicationId: string): string {
  const dir = join(stateDir, applicationId);
  const file = join(dir, PROCESS_FILE);
  try {
    const id = (JSON.parse(readFileSync(file, 'utf8')) as { processId?: unknown }).processId;
    if (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return id;
  } catch {
    // missing or unreadable: a new process id
  }
  const id = randomUUID();
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify({ processId: id }));
  renameSync(`${file}.tmp`, file);
  return id;
}
