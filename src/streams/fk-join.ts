/**
 * Foreign-key table-table joins (KIP-213): a left table KTable<K, V> joined with a right table
 * KTable<KO, VO> through a foreign key extracted from each left value; the result is keyed by K.
 *
 * The left side sends a subscription (foreign key, instruction, hash of the left value, left
 * key) to `<application.id>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic`, partitioned and
 * sized like the right table; the right side keeps the subscriptions per foreign key in
 * `...-SUBSCRIPTION-STATE-STORE-<n>` and answers each subscription, and each right update, with
 * a response (left key, hash, right value) to `...-SUBSCRIPTION-RESPONSE-<n>-topic`, sized like
 * the left table; the left side joins a response with its current left value when the hashes
 * agree (a stale response is dropped).
 *
 * Kafka's rules kept: a left deletion retracts the result (through the right side, as
 * DELETE_KEY_AND_PROPAGATE); a changed foreign key unsubscribes the old one without a response
 * and subscribes the new one (an inner join then retracts the result when the new key has no
 * right value); a null foreign key unsubscribes and gives a tombstone (inner) or joiner(v, null)
 * (left join) at once; a right update or deletion reaches every subscribed left key. Samsa's
 * deviations: the left side remembers each key's subscribed foreign key in its own store
 * (`...-FK-TRACKER-<n>`) since updates carry no old value; the subscriptions of a foreign key are
 * one JSON entry (left key in base64 -> hash), not a prefix range; the left table needs a key serde.
 */
import type { StreamsBuilder } from './builder.js';
import { anySerde } from './entry-list-serde.js';
import { Instruction, responseSerde, sameHash, subscriptionSerde, valueHash, type Response, type Subscription } from './fk-join-wire.js';
import { Serdes, untyped, type UntypedSerde } from './serdes.js';

export interface FkSide {
  node: string;
  store: string;
  keySerde: UntypedSerde | undefined;
  valueSerde: UntypedSerde | undefined;
}

const absent = (v: unknown): boolean => v === null || v === undefined;

/** Adds both halves of the join; returns the node emitting the result (keyed by the left key). */
export function addForeignKeyJoin(b: StreamsBuilder, left: FkSide, right: FkSide, fk: (v: unknown) => unknown, joiner: (l: unknown, r: unknown) => unknown, leftJoin: boolean, resultStore: string | null): string {
  const t = b.topology;
  const leftKey = left.keySerde;
  if (leftKey === undefined) throw new Error('a foreign-key join needs the left table key serde (Consumed.keySerde)');
  const leftValue = left.valueSerde ?? anySerde;
  const fkSerde = right.keySerde ?? anySerde;
  const n = t.newName('');
  const subTopic = `KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-${n}-topic`;
  const respTopic = `KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-${n}-topic`;
  for (const topic of [subTopic, respTopic]) {
    t.repartitionTopics.add(topic);
    t.readerSizedTopics.add(topic);
  }
  const tracker = `KTABLE-FK-JOIN-FK-TRACKER-${n}`;
  const subStore = `KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-${n}`;
  b.addStore(tracker, leftKey, fkSerde);
  b.addStore(subStore, right.keySerde, Serdes.Json<Record<string, string>>());
  const hashOf = (v: unknown): Buffer | null => (absent(v) ? null : valueHash(leftValue.serialize(v)));
  const respSerde = untyped(responseSerde(right.valueSerde ?? anySerde));
  let sink = '';
  let result = '';

  // Left side: subscriptions out, direct results for null foreign keys.
  const sender = b.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-', [left.node], () => ({
    process: (r, ctx) => {
      if (absent(r.key)) return;
      const track = ctx.store<unknown, unknown>(tracker);
      const oldFk = track.get(r.key);
      const pk = leftKey.serialize(r.key) ?? Buffer.alloc(0);
      const send = (foreignKey: unknown, instruction: Subscription['instruction'], hash: Buffer | null): void =>
        ctx.forward({ ...r, key: foreignKey, value: { instruction, hash, primaryKey: pk } satisfies Subscription }, sink);
      if (absent(r.value)) {
        if (oldFk !== undefined) {
          send(oldFk, Instruction.DELETE_KEY_AND_PROPAGATE, null);
          track.delete(r.key);
        } else ctx.forward({ ...r, value: null }, result);
        return;
      }
      const newFk = fk(r.value);
      if (absent(newFk)) {
        if (oldFk !== undefined) send(oldFk, Instruction.DELETE_KEY_NO_PROPAGATE, null);
        track.delete(r.key);
        ctx.forward({ ...r, value: leftJoin ? joiner(r.value, null) : null }, result);
        return;
      }
      const changed = oldFk !== undefined && !(fkSerde.serialize(oldFk) ?? Buffer.alloc(0)).equals(fkSerde.serialize(newFk) ?? Buffer.alloc(0));
      if (changed) send(oldFk, Instruction.DELETE_KEY_NO_PROPAGATE, null);
      send(newFk, leftJoin || changed ? Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE : Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, hashOf(r.value));
      track.put(r.key, newFk);
    },
  }), [tracker]);
  sink = b.addSink(sender, subTopic, right.keySerde, untyped(subscriptionSerde));

  // Right side: subscriptions in (kept per foreign key), responses out for them and for right updates.
  const subSource = t.newName('KSTREAM-SOURCE-');
  t.add({ kind: 'source', name: subSource, topics: [subTopic], keySerde: right.keySerde, valueSerde: untyped(subscriptionSerde) });
  const respond = (ctx: { forward(r: { key: unknown; value: unknown; timestamp: number; headers: [] }): void }, pk: Buffer, hash: Buffer | null, value: unknown, timestamp: number): void =>
    ctx.forward({ key: pk, value: { hash, value: absent(value) ? null : value } satisfies Response<unknown>, timestamp, headers: [] });
  const receiver = b.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-', [subSource], () => ({
    process: (r, ctx) => {
      if (absent(r.key) || absent(r.value)) return;
      const s = r.value as Subscription;
      const store = ctx.store<unknown, Record<string, string>>(subStore);
      const subs = { ...(store.get(r.key) ?? {}) };
      const id = s.primaryKey.toString('base64');
      if (s.instruction === Instruction.DELETE_KEY_AND_PROPAGATE || s.instruction === Instruction.DELETE_KEY_NO_PROPAGATE) delete subs[id];
      else subs[id] = s.hash === null ? '' : s.hash.toString('hex');
      store.put(r.key, Object.keys(subs).length > 0 ? subs : null);
      if (s.instruction === Instruction.DELETE_KEY_NO_PROPAGATE) return;
      if (s.instruction === Instruction.DELETE_KEY_AND_PROPAGATE) return respond(ctx, s.primaryKey, null, null, r.timestamp);
      const rv = ctx.store<unknown, unknown>(right.store).get(r.key);
      if (absent(rv) && s.instruction === Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE) return;
      respond(ctx, s.primaryKey, s.hash, rv, r.timestamp);
    },
  }), [subStore, right.store]);
  const updates = b.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-', [right.node], () => ({
    process: (r, ctx) => {
      if (absent(r.key)) return;
      for (const [id, hash] of Object.entries(ctx.store<unknown, Record<string, string>>(subStore).get(r.key) ?? {})) {
        respond(ctx, Buffer.from(id, 'base64'), hash === '' ? null : Buffer.from(hash, 'hex'), r.value, r.timestamp);
      }
    },
  }), [subStore]);
  const responses = b.addProcessor('KSTREAM-MERGE-', [receiver, updates], () => ({ process: (r, ctx) => ctx.forward(r) }));
  b.addSink(responses, respTopic, untyped(Serdes.ByteArray()), respSerde);

  // Left side again: responses joined with the current left value when its hash still matches.
  const respSource = t.newName('KSTREAM-SOURCE-');
  t.add({ kind: 'source', name: respSource, topics: [respTopic], keySerde: untyped(leftKey), valueSerde: respSerde });
  const resolver = b.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-', [respSource], () => ({
    process: (r, ctx) => {
      if (absent(r.key) || absent(r.value)) return;
      const resp = r.value as Response<unknown>;
      const current = ctx.store<unknown, unknown>(left.store).get(r.key);
      if (!sameHash(resp.hash, hashOf(current))) return; // answers an older left value
      const out = absent(current) ? null : absent(resp.value) ? (leftJoin ? joiner(current, null) : null) : joiner(current, resp.value);
      ctx.forward({ ...r, value: out });
    },
  }), [left.store]);
  result = b.addProcessor('KTABLE-FK-JOIN-OUTPUT-', [resolver, sender], () => ({
    process: (r, ctx) => {
      if (resultStore !== null) ctx.store<unknown, unknown>(resultStore).put(r.key, r.value);
      ctx.forward(r);
    },
  }), resultStore === null ? [] : [resultStore]);
  return result;
}
