// Overview: brokers with liveness, counts, under-replicated and offline partitions, and the
// throughput in (records produced) and out (records consumed) per second, polled while open.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Chart } from '../chart.js';
import { count } from '../format.js';
import { ErrorBox, html, Link, Loading, Stat, Table, useApi } from '../ui.js';

const POLL_MS = 2000;
const POINTS = 150;

function useThroughput() {
  const [series, setSeries] = useState([[], [], []]);
  const [bytes, setBytes] = useState(null);
  const last = useRef(null);
  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      try {
        const s = await api('/api/throughput');
        if (stopped) return;
        const prev = last.current;
        last.current = s;
        if (prev === null || s.time <= prev.time) return;
        const dt = (s.time - prev.time) / 1000;
        if (s.metrics && prev.metrics) {
          const m = s.metrics;
          const p = prev.metrics;
          setBytes((old) => {
            const next = (old ?? [[], [], []]).map((a) => a.slice(-POINTS + 1));
            next[0].push(s.time / 1000);
            next[1].push(Math.max(0, (m.bytesIn - p.bytesIn) / dt));
            next[2].push(Math.max(0, (m.bytesOut - p.bytesOut) / dt));
            return next;
          });
        }
        setSeries((old) => {
          const next = old.map((a) => a.slice(-POINTS + 1));
          next[0].push(s.time / 1000);
          next[1].push(Math.max(0, (s.produced - prev.produced) / dt));
          next[2].push(Math.max(0, (s.consumed - prev.consumed) / dt));
          return next;
        });
      } catch {
        // the overview's own poll shows the cluster's state
      }
    };
    tick();
    const t = setInterval(tick, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, []);
  return { series, bytes };
}

function PartitionList({ rows, testid }) {
  return html`<${Table}
    testid=${testid}
    headers=${['Topic', 'Partition', 'Leader', 'Replicas', 'ISR', 'Offline replicas']}
    rows=${rows.map((p) => html`<tr><td><${Link} href=${'/topics/' + encodeURIComponent(p.topic)}>${p.topic}</${Link}></td><td>${p.partition}</td><td>${p.leader < 0 ? 'none' : p.leader}</td><td>${p.replicas.join(', ')}</td><td>${p.isr.join(', ')}</td><td>${p.offlineReplicas.join(', ') || '-'}</td></tr>`)}
  />`;
}

export function OverviewPage() {
  const { data, error, loading } = useApi('/api/cluster', POLL_MS);
  const { series: tp, bytes: tpBytes } = useThroughput();
  return html`<section>
    <h1>Overview</h1>
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<${Loading} what="the cluster" />` : null}
    ${data
      ? html`
          <div class="stats">
            <${Stat} label="Brokers alive" value=${data.brokers.filter((b) => b.alive).length + ' / ' + data.brokers.length} warn=${data.brokers.some((b) => !b.alive)} testid="stat-brokers" />
            <${Stat} label="Topics" value=${count(data.topicCount)} testid="stat-topics" />
            <${Stat} label="Partitions" value=${count(data.partitionCount)} testid="stat-partitions" />
            <${Stat} label="Under-replicated" value=${count(data.underReplicatedPartitions.length)} warn=${data.underReplicatedPartitions.length > 0} testid="stat-urp" />
            <${Stat} label="Offline partitions" value=${count(data.offlinePartitions.length)} warn=${data.offlinePartitions.length > 0} testid="stat-offline" />
          </div>
          <p class="muted" data-testid="versions">Cluster id <code>${data.clusterId}</code>, controller ${data.controllerId}${data.features.length > 0 ? html` · features ${data.features.map((f) => f.name + ' ' + (f.finalizedVersionLevel ?? '-') + ' (supported ' + f.supportedMinVersion + '-' + f.supportedMaxVersion + ')').join(', ')}` : null} · console ${data.consoleVersion}</p>
          <h2>Brokers</h2>
          <${Table}
            testid="brokers"
            headers=${['Id', 'Address', 'Rack', 'Controller', 'Status']}
            rows=${data.brokers.map((b) => html`<tr class=${b.alive ? '' : 'bad'} data-broker=${b.id}><td><${Link} href=${'/brokers/' + b.id}>${b.id}</${Link}></td><td>${b.host === null ? '-' : b.host + ':' + b.port}</td><td>${b.rack ?? '-'}</td><td>${b.controller ? 'yes' : ''}</td><td><span class=${'pill ' + (b.alive ? 'ok' : 'bad')}>${b.alive ? 'alive' : 'down'}</span></td></tr>`)}
          />
          <h2>Throughput (records/s)</h2>
          <${Chart} labels=${['in (produced)', 'out (consumed)']} data=${tp} testid="throughput" />
          ${tpBytes ? html`<h2>Bytes/s (broker metrics)</h2><${Chart} labels=${['bytes in', 'bytes out']} data=${tpBytes} testid="throughput-bytes" />` : null}
          <h2>Under-replicated partitions</h2>
          <${PartitionList} rows=${data.underReplicatedPartitions} testid="urp" />
          <h2>Offline partitions</h2>
          <${PartitionList} rows=${data.offlinePartitions} testid="offline" />
        `
      : null}
  </section>`;
}
