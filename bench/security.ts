/**
 * The `security` section of `npm run bench` (issue 15, must-show 4): produce and consume
 * throughput over TLS and SASL_SSL beside PLAINTEXT, in the same run and against the same broker.
 * One `samsa start` process with three listeners (PLAINTEXT, SSL, SASL_SSL with PLAIN users from
 * the listener's JAAS config; certificates made here with openssl, a CA and a server certificate
 * for 127.0.0.1); rdkafka_performance produces then consumes the same workloads through each
 * listener, the protocols alternating from run to run, best run of each kept. Ratio = protocol ÷
 * PLAINTEXT (records per second). The SASL mechanism costs only the connection set-up; the
 * throughput difference of SASL_SSL over SSL is noise.
 *
 * The same-run floor of the TLS ratio (issue 22, target 5; bench/floors.ts): the null broker with
 * an SSL listener beside its PLAINTEXT one (null-tls.ts: Samsa's TLS settings, the same
 * certificates, Samsa's TLS read path) takes part in the same rotation, produce and (synthetic)
 * consume over both; its SSL ÷ PLAINTEXT is what TLS costs the client and a broker that does
 * nothing else on this machine.
 *
 * Every run also records the broker process's CPU time over its produce and its consume phase
 * (user + system, all threads, from /proc, as the produce section reads it) as CPU-seconds per GB:
 * on this shared machine it holds under load where throughput does not. The targets report its
 * SSL ÷ PLAINTEXT per run pair for Samsa and for the null broker (bench/floors.ts tlsCpuTargets).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuPerGb, securityBroker, securityCpu, showSpread, spreadOf } from './floors.js';
import type { Throughput } from './report.js';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_SSL'] as const;
export type BenchProtocol = (typeof SECURITY_PROTOCOLS)[number];

export interface SecurityRow {
  workload: string;
  records: number;
  protocol: BenchProtocol;
  produce: Throughput;
  consume: Throughput | null;
  /** Records per second ÷ PLAINTEXT's (null when either run failed). */
  produceRatio: number | null;
  consumeRatio: number | null;
}

export interface SecurityRun {
  workload: string;
  /** Absent: Samsa (results written before the null broker took part). */
  broker?: 'samsa' | 'null';
  protocol: BenchProtocol;
  run: number;
  produce: Throughput;
  consume: Throughput;
  /** The broker process's CPU time (user + system, ms) over the produce and the consume phase (null: not readable; absent in older results). */
  produceCpuMs?: number | null;
  consumeCpuMs?: number | null;
  /** The same as broker CPU-seconds per GB of record values moved (null without a figure). */
  produceCpuSecPerGb?: number | null;
  consumeCpuSecPerGb?: number | null;
}

export interface SecurityResult {
  rows: SecurityRow[];
  /** Every run (the rows keep each protocol's best; the targets use run pairs). */
  runs?: SecurityRun[];
  /** The null broker's best runs over PLAINTEXT and SSL (ratios to its own PLAINTEXT). */
  nullRows?: SecurityRow[];
  /** The TLS version and suite the client negotiated with the null broker (as it logged them). */
  nullSuites?: string[];
  error?: string;
}

export interface SecurityDeps {
  log(msg: string): void;
  work: string;
  repeats: number;
  partitions: number;
  workloads: readonly { name: string; size: number; acks: string; records: number }[];
  freePort(): Promise<number>;
  /** Starts `samsa start` with these overrides (they set `listeners`); resolves once it is up. */
  startBroker(dataDir: string, overrides: Record<string, string>): Promise<{ stop(): Promise<void>; cpuMs?(): number | null }>;
  /** Starts the null broker with an SSL listener for this PEM key store beside its PLAINTEXT one. */
  startNullBroker(keystorePem: string): Promise<{ ports: { PLAINTEXT: number; SSL: number }; output(): string; stop(): Promise<void>; cpuMs?(): number | null }>;
  createTopic(port: number, name: string, partitions: number): Promise<void>;
  /** rdkafka_performance with extra librdkafka settings (-X k=v pairs). */
  produce(port: number, topic: string, size: number, records: number, acks: string, extra: string[]): Promise<Throughput>;
  consume(port: number, topic: string, records: number, extra: string[]): Promise<Throughput>;
}

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="bench" password="bench-secret" user_bench="bench-secret";';

/** A CA and a server certificate for 127.0.0.1 / localhost (Kafka's PEM key store: key + chain in one file). */
export function makeCerts(dir: string): { ca: string; serverPem: string } {
  mkdirSync(dir, { recursive: true });
  const ssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=samsa-bench-ca']);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  writeFileSync(join(dir, 'server.pem'), readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.crt'), 'utf8'));
  return { ca: join(dir, 'ca.crt'), serverPem: join(dir, 'server.pem') };
}

function librdkafkaSettings(protocol: BenchProtocol, ca: string): string[] {
  const x = (k: string, v: string): string[] => ['-X', `${k}=${v}`];
  switch (protocol) {
    case 'PLAINTEXT':
      return [];
    case 'SSL':
      return [...x('security.protocol', 'SSL'), ...x('ssl.ca.location', ca)];
    case 'SASL_SSL':
      return [...x('security.protocol', 'SASL_SSL'), ...x('ssl.ca.location', ca), ...x('sasl.mechanisms', 'PLAIN'), ...x('sasl.username', 'bench'), ...x('sasl.password', 'bench-secret')];
  }
}

/** One listener the rotation produces to and consumes from: Samsa's three, the null broker's two. */
interface Leg {
  broker: 'samsa' | 'null';
  protocol: BenchProtocol;
  port: number;
  /** The broker's PLAINTEXT port (topics are created through it). */
  admin: number;
}

export async function securityScenario(d: SecurityDeps): Promise<SecurityResult> {
  const certs = makeCerts(join(d.work, 'security-certs'));
  const ports: Record<BenchProtocol, number> = { PLAINTEXT: await d.freePort(), SSL: await d.freePort(), SASL_SSL: await d.freePort() };
  const broker = await d.startBroker(join(d.work, 'samsa-security'), {
    listeners: SECURITY_PROTOCOLS.map((p) => `${p}://127.0.0.1:${ports[p]}`).join(','),
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.serverPem,
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
  });
  const rows: SecurityRow[] = [];
  const nullRows: SecurityRow[] = [];
  const runs: SecurityRun[] = [];
  let nul: Awaited<ReturnType<SecurityDeps['startNullBroker']>> | undefined;
  const suites = (): string[] => [...new Set([...(nul?.output() ?? '').matchAll(/TLS suite: (.+)/g)].map((m) => (m[1] as string).trim()))];
  try {
    nul = await d.startNullBroker(certs.serverPem);
    const legs: Leg[] = [
      ...SECURITY_PROTOCOLS.map((protocol): Leg => ({ broker: 'samsa', protocol, port: ports[protocol], admin: ports.PLAINTEXT })),
      ...(['PLAINTEXT', 'SSL'] as const).map((protocol): Leg => ({ broker: 'null', protocol, port: (nul as NonNullable<typeof nul>).ports[protocol], admin: (nul as NonNullable<typeof nul>).ports.PLAINTEXT })),
    ];
    const name = (l: Leg): string => (l.broker === 'samsa' ? l.protocol : `null broker ${l.protocol}`);
    // Warm-up, not counted: each listener's code path compiled before the first measured run.
    const first = d.workloads[0];
    if (first !== undefined) {
      for (const l of legs) {
        const topic = `security-warmup-${l.broker}-${l.protocol}`;
        await d.createTopic(l.admin, topic, d.partitions);
        d.log(`security ${name(l)}: warm-up`);
        await d.produce(l.port, topic, first.size, Math.min(first.records, 100_000), first.acks, librdkafkaSettings(l.protocol, certs.ca));
      }
    }
    const better = (a: Throughput | null, b: Throughput | null): Throughput | null => (a === null ? b : b === null ? a : !b.error && (a.error !== undefined || b.recordsPerSec > a.recordsPerSec) ? b : a);
    for (const [i, w] of d.workloads.entries()) {
      const best = new Map<string, { p: Throughput | null; c: Throughput | null }>();
      for (let rep = 0; rep < d.repeats; rep++) {
        // Rotate the order, so a drift in machine load hits every listener alike.
        const order = legs.map((_, k) => legs[(k + rep) % legs.length] as Leg);
        for (const l of order) {
          const topic = `security-${i}-${rep}-${l.broker}-${l.protocol}`;
          await d.createTopic(l.admin, topic, d.partitions);
          const extra = librdkafkaSettings(l.protocol, certs.ca);
          d.log(`security ${w.name} × ${w.records} over ${name(l)}${d.repeats > 1 ? ` (run ${rep + 1}/${d.repeats})` : ''}`);
          // The broker process's CPU over each phase, as the produce section reads it (bench/run.ts).
          const cpu = (): number | null => (l.broker === 'samsa' ? broker.cpuMs?.() : nul?.cpuMs?.()) ?? null;
          const cpu0 = cpu();
          const produced = await d.produce(l.port, topic, w.size, w.records, w.acks, extra);
          const cpu1 = cpu();
          const consumed = await d.consume(l.port, topic, produced.records, extra);
          const cpu2 = cpu();
          const produceCpuMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
          const consumeCpuMs = cpu1 !== null && cpu2 !== null ? cpu2 - cpu1 : null;
          const produceCpuSecPerGb = cpuPerGb(produceCpuMs, produced);
          const consumeCpuSecPerGb = cpuPerGb(consumeCpuMs, consumed);
          const perGb = (x: number | null): string => (x === null ? '' : `, broker ${x.toFixed(2)} CPU-s/GB`);
          d.log(`  ${name(l)}: produce ${Math.round(produced.recordsPerSec)} rec/s ${produced.mbPerSec.toFixed(1)} MB/s${perGb(produceCpuSecPerGb)}, consume ${Math.round(consumed.recordsPerSec)} rec/s${perGb(consumeCpuSecPerGb)}${produced.error ? ` (${produced.error})` : ''}${consumed.error ? ` (${consumed.error})` : ''}`);
          runs.push({ workload: w.name, broker: l.broker, protocol: l.protocol, run: rep + 1, produce: produced, consume: consumed, produceCpuMs, consumeCpuMs, produceCpuSecPerGb, consumeCpuSecPerGb });
          const key = `${l.broker} ${l.protocol}`;
          const prev = best.get(key);
          best.set(key, { p: better(prev?.p ?? null, produced), c: better(prev?.c ?? null, consumed) });
        }
      }
      const ratio = (x: Throughput | null | undefined, y: Throughput | null | undefined): number | null => (x && y && !x.error && !y.error && y.recordsPerSec > 0 ? x.recordsPerSec / y.recordsPerSec : null);
      for (const l of legs) {
        const b = best.get(`${l.broker} ${l.protocol}`);
        const base = best.get(`${l.broker} PLAINTEXT`);
        if (b?.p == null) continue;
        (l.broker === 'samsa' ? rows : nullRows).push({ workload: w.name, records: w.records, protocol: l.protocol, produce: b.p, consume: b.c, produceRatio: ratio(b.p, base?.p), consumeRatio: ratio(b.c, base?.c) });
      }
    }
  } catch (e) {
    return { rows, runs, nullRows, nullSuites: suites(), error: e instanceof Error ? e.message : String(e) };
  } finally {
    await broker.stop();
    await nul?.stop();
  }
  return { rows, runs, nullRows, nullSuites: suites() };
}

/** The report's section. */
export function renderSecurity(r: SecurityResult, table: (head: string[], rows: string[][]) => string): string {
  const out: string[] = ['## TLS and SASL_SSL vs PLAINTEXT\n'];
  out.push('One `samsa start` with PLAINTEXT, SSL and SASL_SSL (PLAIN) listeners; rdkafka_performance produces (acks=1) then consumes each workload through each listener, protocols alternating, best run kept. Ratio = records per second ÷ PLAINTEXT\'s. TLS connections read through Node\'s TLSSocket, whose decrypted bytes land in the frame reader\'s buffers (Node\'s TLSWrap still copies each byte twice besides decrypting it: into OpenSSL\'s record buffer, and from its ≤ 16 KiB decryption buffer into ours).\n');
  const tp = (t: Throughput | null): string => (t === null ? 'n/a' : t.error ? `error: ${t.error}` : `${Math.round(t.recordsPerSec).toLocaleString('en-US')} rec/s (${t.mbPerSec.toFixed(1)} MB/s)`);
  const ra = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));
  // Broker CPU-seconds per GB: median (min–max) over every run of this broker, workload and protocol.
  const cpu = (broker: 'samsa' | 'null', x: SecurityRow, dir: 'produce' | 'consume'): string =>
    showSpread(spreadOf((r.runs ?? []).filter((y) => securityBroker(y) === broker && y.workload === x.workload && y.protocol === x.protocol).flatMap((y) => { const v = securityCpu(y, dir); return v === null ? [] : [v]; })), 2);
  out.push('Broker CPU-s/GB: the broker process\'s CPU time (user + system, all its threads, from /proc) over the phase ÷ GB of record values moved; median (min–max) over the runs. Per-run-pair SSL ÷ PLAINTEXT ratios of it are in the acceptance targets.\n');
  out.push(table(['Workload', 'Protocol', 'Produce', '÷ PLAINTEXT', 'Produce CPU-s/GB', 'Consume', '÷ PLAINTEXT', 'Consume CPU-s/GB'], r.rows.map((x) => [x.workload, x.protocol, tp(x.produce), ra(x.produceRatio), cpu('samsa', x, 'produce'), tp(x.consume), ra(x.consumeRatio), cpu('samsa', x, 'consume')])));
  if (r.nullRows !== undefined && r.nullRows.length > 0) {
    out.push(`### Floor: the null broker over SSL and PLAINTEXT (same run)\n`);
    out.push(`The null broker with an SSL listener beside its PLAINTEXT one (bench/null-tls.ts: the secure context from Samsa's own code for the same key store and default settings, Samsa's TLS read path), in the same rotation; it stores nothing and its consume is the synthetic fetch. Negotiated: ${r.nullSuites !== undefined && r.nullSuites.length > 0 ? r.nullSuites.join(', ') : 'not logged'}. Its SSL ÷ PLAINTEXT is TLS's cost when the broker's own work is ~0 (so the lowest ratio a broker sees here: one that spends more per byte on both protocols gets closer to 1); Samsa SSL ÷ null SSL says how close Samsa's TLS throughput comes to the machine's TLS limit (per-run ratios in the acceptance targets).\n`);
    out.push(table(['Workload', 'Protocol', 'Produce', '÷ PLAINTEXT', 'Produce CPU-s/GB', 'Consume (synthetic)', '÷ PLAINTEXT', 'Consume CPU-s/GB'], r.nullRows.map((x) => [x.workload, x.protocol, tp(x.produce), ra(x.produceRatio), cpu('null', x, 'produce'), tp(x.consume), ra(x.consumeRatio), cpu('null', x, 'consume')])));
  }
  if (r.error !== undefined) out.push(`Error: ${r.error}\n`);
  return out.join('\n');
}
