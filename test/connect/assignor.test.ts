/**
 * The leader's incremental cooperative assignment (src/connect/assignor.ts): owners keep their
 * units; new and orphaned units go to the least loaded worker; an uneven spread revokes units
 * without handing them over in the same round, and the next round hands them over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignCooperative, type AssignmentMessage, type WorkerMetadata } from '../../src/connect/assignor.js';

const meta = (tasks: [string, number][], connectors: string[] = []): Buffer => Buffer.from(JSON.stringify({ url: 'http://x', configOffset: '0', connectors, tasks: tasks.map(([connector, task]) => ({ connector, task })) } satisfies WorkerMetadata));
const configs = new Map([
  ['a', { tasks: [{}, {}, {}] }],
  ['b', { tasks: [{}, {}, {}] }],
]);
const decode = (m: Map<string, Buffer>): Record<string, AssignmentMessage> => Object.fromEntries([...m].map(([id, b]) => [id, JSON.parse(b.toString()) as AssignmentMessage]));
const tasksOf = (a: AssignmentMessage | undefined): string[] => (a?.tasks ?? []).map((t) => `${t.connector}-${t.task}`).sort();

test('a first assignment spreads everything; the next keeps every owner', () => {
  const first = decode(assignCooperative('w1', 'http://w1', '5', [{ memberId: 'w1', metadata: meta([]) }, { memberId: 'w2', metadata: meta([]) }, { memberId: 'w3', metadata: meta([]) }], configs));
  assert.deepEqual(Object.values(first).map((a) => a.tasks.length), [2, 2, 2]);
  assert.deepEqual(Object.values(first).map((a) => a.connectors.length).sort(), [0, 1, 1]);
  assert.deepEqual([first['w2']?.leader, first['w2']?.leaderUrl, first['w2']?.configOffset], ['w1', 'http://w1', '5']);
  const again = decode(assignCooperative('w1', 'http://w1', '6', Object.entries(first).map(([memberId, a]) => ({ memberId, metadata: meta(a.tasks.map((t) => [t.connector, t.task]), a.connectors) })), configs));
  for (const id of ['w1', 'w2', 'w3']) assert.deepEqual(tasksOf(again[id]), tasksOf(first[id]), id);
  assert.ok(Object.values(again).every((a) => a.revoked === 0));
});

test('a dead worker’s tasks go to the survivors at once; a new worker gets its share through revocations', () => {
  const afterDeath = decode(assignCooperative('w1', 'u', '0', [{ memberId: 'w1', metadata: meta([['a', 0], ['a', 1]]) }, { memberId: 'w2', metadata: meta([['a', 2], ['b', 0]]) }], configs));
  assert.deepEqual([tasksOf(afterDeath['w1']).length, tasksOf(afterDeath['w2']).length], [3, 3]);
  assert.deepEqual([...tasksOf(afterDeath['w1']), ...tasksOf(afterDeath['w2'])].sort(), ['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'b-2']);
  assert.ok(tasksOf(afterDeath['w1']).includes('a-0') && tasksOf(afterDeath['w2']).includes('b-0'), 'owners keep theirs');

  const owners = [{ memberId: 'w1', metadata: meta((afterDeath['w1']?.tasks ?? []).map((t) => [t.connector, t.task])) }, { memberId: 'w2', metadata: meta((afterDeath['w2']?.tasks ?? []).map((t) => [t.connector, t.task])) }];
  const joined = decode(assignCooperative('w1', 'u', '0', [...owners, { memberId: 'w9', metadata: meta([]) }], configs));
  assert.equal(tasksOf(joined['w9']).length, 0, 'nothing handed over while still owned');
  assert.deepEqual([joined['w1']?.revoked, joined['w2']?.revoked], [1, 1]);
  const settled = decode(assignCooperative('w1', 'u', '0', Object.entries(joined).map(([memberId, a]) => ({ memberId, metadata: meta(a.tasks.map((t) => [t.connector, t.task])) })), configs));
  assert.deepEqual(['w1', 'w2', 'w9'].map((id) => tasksOf(settled[id]).length), [2, 2, 2]);
  assert.ok(Object.values(settled).every((a) => a.revoked === 0));
});
