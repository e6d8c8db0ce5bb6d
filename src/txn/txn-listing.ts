/**
 * ListTransactions' filters (KIP-664), as Kafka's TransactionStateManager.listTransactionStates
 * applies them: state names (unknown names are answered back, not an error), producer ids, and
 * (v1, KIP-994) only transactions running longer than `durationMs` when it is >= 0. Dead
 * transactions are never listed.
 */
import { TxnState, txnStateByName, type TxnMetadata } from './txn-metadata.js';

export function listTransactions(
  all: Iterable<TxnMetadata>,
  stateFilters: readonly string[],
  producerIdFilters: readonly bigint[],
  durationMs: number,
  now: number,
): { unknownStateFilters: string[]; states: TxnMetadata[] } {
  const unknownStateFilters: string[] = [];
  const states = new Set<number>();
  for (const name of stateFilters) {
    const s = txnStateByName(name);
    if (s === undefined) unknownStateFilters.push(name);
    else states.add(s);
  }
  const pids = new Set(producerIdFilters);
  const out: TxnMetadata[] = [];
  for (const m of all) {
    if (m.state === TxnState.Dead) continue;
    if (pids.size > 0 && !pids.has(m.producerId)) continue;
    if (stateFilters.length > 0 && !states.has(m.state)) continue;
    if (durationMs >= 0 && now - m.txnStartTimestamp <= durationMs) continue;
    out.push(m);
  }
  return { unknownStateFilters, states: out };
}
