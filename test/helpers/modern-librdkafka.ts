/**
 * librdkafka 2.12 for the tests that need a newer librdkafka than Debian's 2.0.2 (KIP-848's
 * `group.protocol=consumer`): scripts/build-librdkafka.mjs builds it once per machine from the
 * source node-rdkafka ships on the npm registry (.ci/run does that before the suite; a test run
 * without it builds it here, which takes a few minutes). Debian's python3-confluent-kafka and kcat
 * load it through LD_LIBRARY_PATH. Fails loudly when it cannot be built: never a skipped test.
 */
import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/build-librdkafka.mjs', import.meta.url));

let built: Promise<string> | null = null;

/** The directory holding librdkafka.so.1 (2.12.0). */
export function modernLibrdkafkaDir(): Promise<string> {
  built ??= runProcess(process.execPath, [SCRIPT], { timeoutMs: 20 * 60_000 }).then((r) => {
    const dir = r.stdout.toString().trim().split('\n').pop() ?? '';
    if (r.code !== 0 || dir === '') throw new Error(`cannot build librdkafka 2.12 (scripts/build-librdkafka.mjs exited ${r.code}): ${r.stderr}`);
    return dir;
  });
  return built;
}

/** Environment for a python3-confluent-kafka / kcat process that must use librdkafka 2.12. */
export async function modernLibrdkafkaEnv(): Promise<NodeJS.ProcessEnv> {
  const dir = await modernLibrdkafkaDir();
  return { ...process.env, LD_LIBRARY_PATH: process.env['LD_LIBRARY_PATH'] ? `${dir}:${process.env['LD_LIBRARY_PATH']}` : dir };
}
