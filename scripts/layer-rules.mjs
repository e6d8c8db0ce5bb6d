// The layering rules of src/ (docs/architecture.md, "The layers"), checked by
// scripts/check-layers.mjs in `npm test`. A layer is a top-level directory of src/.
// Kinds:
//   forbid:  files in `from` import nothing in `to` (entries: layers, folders or files under src/);
//   only:    files in `from` import only `allow` (layers, or paths relative to src/) and their own layer;
//   handlers: a handler (broker/handlers/NN-*.ts) imports no other NN- handler.
// A rule with `pending` is listed by the script but not enforced yet.

/** The layers below broker/ and the coordinators. */
const LOWER = ['protocol', 'storage', 'network', 'config', 'common', 'metadata', 'client'];
/** What composes the broker, and what sits on it. */
const UPPER = ['broker', 'group', 'txn', 'coordinator', 'cli', 'cluster', 'replication', 'registry'];

export const rules = [
  {
    name: 'lower-layers-never-import-upper',
    kind: 'forbid',
    from: LOWER,
    to: UPPER,
    why: 'protocol/storage/network/config/common/metadata/client are below the broker and its coordinators',
  },
  {
    name: 'client-imports-only-protocol-common-framing',
    kind: 'only',
    from: ['client'],
    allow: ['protocol', 'common', 'network/frame-splitter.ts', 'network/frame-reader.ts'],
    why: 'the protocol client is built on the codecs and the frame splitter only (also test/client/layering.test.ts)',
  },
  {
    name: 'cluster-never-imports-broker',
    kind: 'forbid',
    from: ['cluster'],
    to: ['broker', 'group', 'txn', 'coordinator', 'cli'],
    why: 'cluster/ (metadata store implementations) receives narrow dependencies',
  },
  {
    name: 'replication-never-imports-broker',
    kind: 'forbid',
    from: ['replication'],
    to: ['broker', 'group', 'txn', 'coordinator', 'cli', 'cluster'],
    why: 'replication/ (leader and follower state, the replica fetcher) works on narrow partition interfaces',
  },
  {
    name: 'coordinators-never-import-broker',
    kind: 'forbid',
    from: ['group', 'txn', 'coordinator'],
    to: ['broker', 'cli', 'client', 'index.ts'],
    why: 'the group and transaction coordinators receive CoordinatorDeps, never the Broker (also test/coordinator/layering.test.ts)',
  },
  {
    name: 'metrics-never-import-broker',
    kind: 'forbid',
    from: ['metrics'],
    to: ['broker/broker.ts', 'cli', 'index.ts'],
    why: 'metrics/ reads narrow sources given at scrape time (broker/observability.ts wires them), never the Broker',
  },
  {
    name: 'handlers-never-import-broker',
    kind: 'forbid',
    from: ['broker/handlers', 'broker/gate', 'broker/handler.ts'],
    to: ['broker/broker.ts'],
    why: 'handlers and the gate receive narrow services (handlers/index.ts buildHandlers), never the Broker',
  },
  {
    name: 'rest-never-imports-broker',
    kind: 'forbid',
    from: ['rest'],
    to: ['broker', 'group', 'txn', 'coordinator', 'cli', 'cluster', 'replication', 'storage', 'index.ts'],
    why: 'the REST proxy is a Kafka client: it reaches any cluster through src/client, never the broker it may run in',
  },
  {
    name: 'console-is-a-kafka-client',
    kind: 'only',
    from: ['console'],
    allow: ['client', 'common', 'protocol'],
    why: 'the web console talks to any Kafka cluster through src/client (and is served by a broker only as a client of its own listener)',
  },
  {
    name: 'registry-is-a-kafka-client',
    kind: 'forbid',
    from: ['registry'],
    to: ['broker', 'group', 'txn', 'coordinator', 'cli', 'cluster', 'replication', 'storage', 'metadata', 'index.ts'],
    why: 'the schema registry talks to Kafka through src/client only, so it runs against any Kafka-protocol cluster',
  },
  {
    name: 'connect-never-imports-broker',
    kind: 'forbid',
    from: ['connect'],
    to: ['broker', 'group', 'txn', 'coordinator', 'cli', 'cluster', 'replication', 'storage', 'rest', 'index.ts'],
    why: 'Kafka Connect is a Kafka client: it reaches any cluster through src/client, never the broker it may run in',
  },
  {
    name: 'streams-never-imports-broker',
    kind: 'only',
    from: ['streams'],
    allow: ['client', 'protocol', 'common'],
    why: 'the Streams library is a Kafka client: it reaches any cluster through src/client, never the broker it may run beside',
  },
  {
    name: 'handler-never-imports-handler',
    kind: 'handlers',
    why: 'shared handler code lives beside the handlers in a file without an NN- prefix',
  },
];
