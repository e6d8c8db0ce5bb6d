/**
 * The bench's protocol client, for the parts of the benchmark where a full client library would
 * add its own start-up or batching costs: start-up timing (first acknowledged produce) and the
 * partition-scale tests. A thin wrapper over src/client/protocol-client.ts (the project's one
 * protocol client): client id 'samsa-bench', no request timeout (a bench run has its own), answers
 * up to 512 MiB.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProtocolClient } from '../src/client/protocol-client.js';

export class WireClient {
  private constructor(private readonly client: ProtocolClient) {}

  static async connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    const client = await ProtocolClient.connect({ port, host, clientId: 'samsa-bench', requestTimeoutMs: 0, maxResponseBytes: 512 * 1024 * 1024 });
    return new WireClient(client);
  }

  /** Connects, retrying every `intervalMs` until `deadline` (performance.now() ms). */
  static async connectRetry(port: number, deadline: number, intervalMs = 2): Promise<WireClient> {
    for (;;) {
      try {
        return await WireClient.connect(port);
      } catch (e) {
        if (performance.now() > deadline) throw e;
        await sleep(intervalMs);
      }
    }
  }

  close(): void {
    this.client.close();
  }

  request<T = unknown>(apiKey: number, version: number, body: unknown): Promise<T> {
    return this.client.request<T>(apiKey, version, body);
  }
}
