/** The MirrorMaker 2 connectors, as registered with every Connect worker (src/connect/plugins.ts). */
import type { ConnectorPlugin } from '../api.js';
import { mirrorCheckpointConnector } from './checkpoint-connector.js';
import { mirrorHeartbeatConnector } from './heartbeat-connector.js';
import { mirrorSourceConnector } from './source-connector.js';

export const MIRROR_PLUGINS: readonly ConnectorPlugin[] = [mirrorSourceConnector, mirrorCheckpointConnector, mirrorHeartbeatConnector];
