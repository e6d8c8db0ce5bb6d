/**
 * `samsa transactions list | describe | describe-producers | abort` — kafka-transactions.sh.
 *
 *   list                                    ListTransactions: id, coordinator, producer id, state
 *   describe --transactional-id ID          DescribeTransactions: epoch, timeout, start, partitions
 *   describe-producers --topic T --partition P   DescribeProducers: active producers of a partition
 *   abort --topic T --partition P --start-offset N   aborts the hanging transaction that began at N
 *   abort --topic T --partition P --producer-id I --producer-epoch E --coordinator-epoch C
 *
 * Kafka's abort writes an ABORT marker with WriteTxnMarkers to the partition leader; with
 * --start-offset it first finds the producer through DescribeProducers, as kafka-transactions.sh
 * does. Samsa sends every request to the bootstrap broker, which is the transaction coordinator
 * and the leader of every partition on a single broker.
 */
import { AdminError, ApiKey } from '../client/admin.js';
import type { KafkaConnection } from '../client/connection.js';
import type { DescribeProducersResponse } from '../protocol/generated/messages/describe-producers.js';
import type { DescribeTransactionsResponse } from '../protocol/generated/messages/describe-transactions.js';
import type { ListTransactionsResponse } from '../protocol/generated/messages/list-transactions.js';
import type { WriteTxnMarkersResponse } from '../protocol/generated/messages/write-txn-markers.js';
import { formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { connectionOptions } from './client.js';
import { runConnected } from './command.js';
import { CliError, ExitCode, formatTable, toJson, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'transactional-id', arg: 'ID', help: 'describe: the transaction to describe' },
  { name: 'topic', arg: 'TOPIC', help: 'describe-producers, abort: the topic' },
  { name: 'partition', arg: 'N', help: 'describe-producers, abort: the partition' },
  { name: 'start-offset', arg: 'OFFSET', help: 'abort: the first offset of the hanging transaction' },
  { name: 'producer-id', arg: 'ID', help: 'abort: the producer id (instead of --start-offset)' },
  { name: 'producer-epoch', arg: 'N', help: 'abort: the producer epoch' },
  { name: 'coordinator-epoch', arg: 'N', help: 'abort: the coordinator epoch' },
  { name: 'json', value: false, help: 'Print JSON instead of tables' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa transactions <list | describe | describe-producers | abort> [options]

Inspects and aborts transactions (like kafka-transactions.sh).

  samsa transactions list
  samsa transactions describe --transactional-id ID
  samsa transactions describe-producers --topic T --partition P
  samsa transactions abort --topic T --partition P --start-offset N
  samsa transactions abort --topic T --partition P --producer-id I --producer-epoch E --coordinator-epoch C

Options:
${formatOptions(options)}
`;

const SUBS = ['list', 'describe', 'describe-producers', 'abort'] as const;

function partitionOf(a: ParsedArgs): { topic: string; partition: number } {
  return { topic: a.require('topic'), partition: a.int('partition', 0, 1_000_000) ?? Number(a.require('partition')) };
}

async function producersOf(conn: KafkaConnection, topic: string, partition: number): Promise<DescribeProducersResponse['topics'][number]['partitions'][number]['activeProducers']> {
  const res = await conn.request<DescribeProducersResponse>(ApiKey.DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [partition] }] });
  const p = res.topics[0]?.partitions[0];
  if (!p) throw new CliError('The broker sent an empty DescribeProducers answer.', undefined, { exitCode: ExitCode.FAILED });
  if (p.errorCode !== 0) throw new AdminError(`DescribeProducers for ${topic}-${partition}`, p.errorCode, p.errorMessage);
  return p.activeProducers;
}

async function run(sub: string, a: ParsedArgs, conn: KafkaConnection): Promise<number> {
  const json = a.has('json');
  if (sub === 'list') {
    const res = await conn.request<ListTransactionsResponse>(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n });
    if (res.errorCode !== 0) throw new AdminError('ListTransactions', res.errorCode);
    const rows = res.transactionStates.map((t) => ({ transactionalId: t.transactionalId, coordinator: 1, producerId: t.producerId, state: t.transactionState })).sort((x, y) => x.transactionalId.localeCompare(y.transactionalId));
    await writeOut(json ? toJson(rows) + '\n' : formatTable(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows.map((r) => [r.transactionalId, r.coordinator, r.producerId, r.state])));
    return 0;
  }
  if (sub === 'describe') {
    const id = a.require('transactional-id');
    const res = await conn.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] });
    const t = res.transactionStates[0];
    if (!t) throw new CliError('The broker sent an empty DescribeTransactions answer.', undefined, { exitCode: ExitCode.FAILED });
    if (t.errorCode !== 0) throw new AdminError(`DescribeTransactions for '${id}'`, t.errorCode);
    const start = t.transactionStartTimeMs;
    const row = {
      transactionalId: t.transactionalId,
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      transactionState: t.transactionState,
      transactionTimeoutMs: t.transactionTimeoutMs,
      currentTransactionStartTimeMs: start < 0n ? null : start,
      transactionDurationMs: start < 0n ? null : BigInt(Date.now()) - start,
      topicPartitions: t.topics.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`)).sort(),
    };
    if (json) await writeOut(toJson(row) + '\n');
    else {
      await writeOut(
        formatTable(
          ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
          [[1, row.transactionalId, row.producerId, row.producerEpoch, row.transactionState, row.transactionTimeoutMs, row.currentTransactionStartTimeMs, row.transactionDurationMs, row.topicPartitions.join(',') || '-']],
        ),
      );
    }
    return 0;
  }
  if (sub === 'describe-producers') {
    const { topic, partition } = partitionOf(a);
    const rows = (await producersOf(conn, topic, partition)).map((p) => ({
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      latestCoordinatorEpoch: p.coordinatorEpoch,
      lastSequence: p.lastSequence,
      lastTimestamp: p.lastTimestamp,
      currentTransactionStartOffset: p.currentTxnStartOffset < 0n ? null : p.currentTxnStartOffset,
    }));
    await writeOut(
      json
        ? toJson(rows) + '\n'
        : formatTable(
            ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
            rows.map((r) => [r.producerId, r.producerEpoch, r.latestCoordinatorEpoch, r.lastSequence, r.lastTimestamp, r.currentTransactionStartOffset]),
          ),
    );
    return 0;
  }
  // abort
  const { topic, partition } = partitionOf(a);
  let producer: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number };
  if (a.has('start-offset')) {
    if (a.has('producer-id')) throw new CliError('--start-offset and --producer-id cannot be combined.');
    const start = BigInt(a.int('start-offset', 0) ?? 0);
    const found = (await producersOf(conn, topic, partition)).find((p) => p.currentTxnStartOffset === start);
    if (!found) throw new CliError(`Could not find any open transactions starting at offset ${start} on partition ${topic}-${partition}.`, `List them with 'samsa transactions describe-producers --topic ${topic} --partition ${partition}'.`, { exitCode: ExitCode.FAILED });
    producer = { producerId: found.producerId, producerEpoch: found.producerEpoch, coordinatorEpoch: Math.max(0, found.coordinatorEpoch) };
  } else {
    producer = { producerId: BigInt(a.int('producer-id', 0) ?? Number(a.require('producer-id'))), producerEpoch: a.int('producer-epoch', 0, 32767) ?? Number(a.require('producer-epoch')), coordinatorEpoch: a.int('coordinator-epoch', 0) ?? Number(a.require('coordinator-epoch')) };
  }
  const res = await conn.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, 1, {
    markers: [{ ...producer, transactionResult: false, topics: [{ name: topic, partitionIndexes: [partition] }] }],
  });
  const code = res.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? -1;
  if (code !== 0) throw new AdminError(`Aborting the transaction of producer ${producer.producerId} on ${topic}-${partition}`, code);
  if (json) await writeOut(toJson({ topic, partition, ...producer, aborted: true }) + '\n');
  else await writeOut(`Aborted the transaction of producer ${producer.producerId} (epoch ${producer.producerEpoch}) on ${topic}-${partition}.\n`);
  return 0;
}

export async function runTransactions(args: string[]): Promise<number> {
  const sub = args[0];
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(usage);
    return sub === undefined ? ExitCode.USAGE : 0;
  }
  if (!(SUBS as readonly string[]).includes(sub)) {
    process.stderr.write(`samsa transactions: error: unknown command '${sub}'.\n  hint: use one of: ${SUBS.join(', ')}.\n`);
    return ExitCode.USAGE;
  }
  return runConnected(`samsa transactions ${sub}`, args.slice(1), options, usage, (a, conn) => run(sub, a, conn));
}
