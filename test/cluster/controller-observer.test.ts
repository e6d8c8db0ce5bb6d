/**
 * observeController (src/cluster/etcd/election.ts) against a real etcd: the controller it reports
 * is the candidate key with the oldest create revision, the one every broker's campaign agrees on,
 * even when several candidates' keys arrive in one watch response while there is no leader.
 * etcd3's ElectionObserver took the last key of such a response as the leader and kept it until
 * that key was deleted: under load one broker named another controller than the rest, for good.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { currentController, observeController } from '../../src/cluster/etcd/election.js';
import { EtcdSession } from '../../src/cluster/etcd/session.js';
import { useEtcd } from '../helpers/etcd.js';

const fx = useEtcd({ before, after });

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('two candidates appearing in one watch response: the observer reports the oldest key, as the election does', async () => {
  const session = new EtcdSession({ endpoints: fx.etcd.endpoints, prefix: fx.prefix() });
  fx.closeLater(() => session.close());
  const seen: (number | undefined)[] = [];
  const stop = await observeController(session, (id) => seen.push(id));
  fx.closeLater(stop);
  await until('the first report (no controller yet)', () => (seen.length > 0 ? true : undefined));
  assert.deepEqual(seen, [undefined]);

  // Two campaign keys put in one transaction reach the watch in one response. Their create
  // revisions are equal; etcd orders the tie by key, so 'a' leads (value: node id 7).
  const candidates = session.client.namespace(session.keys.root).namespace('election/controller/');
  await candidates.if('a', 'Create', '==', 0).then(candidates.put('a').value('7'), candidates.put('b').value('9')).commit();
  const elected = await currentController(session);
  assert.equal(elected, 7, 'the election recipe: the oldest key leads');
  await until('the observer to report the controller', () => (seen.length > 1 ? true : undefined));
  assert.equal(seen[seen.length - 1], 7, `reports: ${seen.map(String).join(', ')}`);

  // The leader's key goes: the next oldest leads.
  await candidates.delete().key('a').exec();
  await until('the observer to report the next controller', () => (seen[seen.length - 1] === 9 ? true : undefined));
  await candidates.delete().key('b').exec();
  await until('the observer to report no controller', () => (seen.length > 2 && seen[seen.length - 1] === undefined ? true : undefined));
});
