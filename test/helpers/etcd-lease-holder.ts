/**
 * A child process that holds an etcd lease for a test, so the test can stop its keep-alives the
 * way a crash does (SIGKILL): `node etcd-lease-holder.js <endpoints> <prefix> register|campaign <nodeId> <ttlMs>`.
 * Prints one JSON line when it holds the registration ({"registered":nodeId}) or has won the
 * controller election ({"epoch":n}), then waits to be killed.
 */
import { campaignForController } from '../../src/cluster/etcd/election.js';
import { registerBroker } from '../../src/cluster/etcd/registration.js';
import { EtcdSession } from '../../src/cluster/etcd/session.js';

const [endpoints, prefix, mode, node, ttl] = process.argv.slice(2);
if (endpoints === undefined || prefix === undefined || node === undefined || ttl === undefined) throw new Error('usage: etcd-lease-holder <endpoints> <prefix> register|campaign <nodeId> <ttlMs>');
const session = new EtcdSession({ endpoints, prefix });
const nodeId = Number(node);
if (mode === 'register') {
  await registerBroker(session, { nodeId, rack: null, endpoints: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }] }, Number(ttl));
  process.stdout.write(`${JSON.stringify({ registered: nodeId })}\n`);
} else {
  const l = await campaignForController(session, nodeId, Number(ttl)).elected();
  process.stdout.write(`${JSON.stringify({ epoch: l.epoch })}\n`);
}
setInterval(() => undefined, 60_000);
