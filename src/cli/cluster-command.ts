/**
 * `samsa cluster` — the cluster id, controller, brokers and feature versions, as
 * kafka-cluster.sh cluster-id, kafka-broker-api-versions.sh and kafka-features.sh describe show
 * them. DescribeCluster v1 gives the brokers and controller; ApiVersions v3 gives the supported
 * and finalized feature levels (Samsa, a single KRaft-less broker, may finalize none).
 */
import { AdminError, ApiKey } from '../client/admin.js';
import type { ApiVersionsResponse } from '../protocol/generated/messages/api-versions.js';
import type { DescribeClusterResponse } from '../protocol/generated/messages/describe-cluster.js';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions } from './client.js';
import { runConnected } from './command.js';
import { formatTable, toJson, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa cluster [options]

Shows the cluster id, the controller, the brokers and the feature versions.

Options:
${formatOptions(options)}
`;

export function runCluster(args: string[]): Promise<number> {
  return runConnected('samsa cluster', args, options, usage, async (a, conn) => {
    const dc = await conn.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    if (dc.errorCode !== 0) throw new AdminError('DescribeCluster', dc.errorCode, dc.errorMessage);
    const av = await conn.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'samsa-cli', clientSoftwareVersion: '0' });
    const finalized = new Map(av.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));
    const out = {
      clusterId: dc.clusterId,
      controllerId: dc.controllerId,
      brokers: dc.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack })).sort((x, y) => x.id - y.id),
      features: av.supportedFeatures.map((f) => ({ name: f.name, supportedMinVersion: f.minVersion, supportedMaxVersion: f.maxVersion, finalizedVersionLevel: finalized.get(f.name) ?? null })),
      finalizedFeaturesEpoch: av.finalizedFeaturesEpoch,
    };
    if (a.has('json')) {
      await writeOut(toJson(out, 2) + '\n');
      return 0;
    }
    let text = `Cluster ID: ${out.clusterId}\nController: ${out.controllerId}\n\n`;
    text += formatTable(['BROKER', 'HOST', 'PORT', 'RACK', 'CONTROLLER'], out.brokers.map((b) => [b.id, b.host, b.port, b.rack, b.id === out.controllerId ? 'yes' : 'no']));
    text += '\n';
    text += out.features.length === 0 ? 'Features: (none)\n' : formatTable(['FEATURE', 'SUPPORTED-MIN', 'SUPPORTED-MAX', 'FINALIZED-LEVEL'], out.features.map((f) => [f.name, f.supportedMinVersion, f.supportedMaxVersion, f.finalizedVersionLevel]));
    await writeOut(text);
    return 0;
  });
}
