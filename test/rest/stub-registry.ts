/**
 * A minimal schema registry speaking the part of Confluent Schema Registry's HTTP API the REST
 * proxy and @kafkajs/confluent-schema-registry's decode use: register under a subject (one id per
 * distinct schema text and type), schema by id, a subject's latest version. For the REST proxy's
 * schema-format tests until src/registry/ (built in parallel) is on main; it checks nothing about
 * compatibility.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRegistry {
  url: string;
  close(): Promise<void>;
}

export async function startStubRegistry(): Promise<StubRegistry> {
  const schemas: { schema: string; schemaType: string }[] = [];
  const subjects = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(body));
      };
      const url = req.url ?? '';
      let m = /^\/subjects\/([^/]+)\/versions\/?$/.exec(url);
      if (m && req.method === 'POST') {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { schema: string; schemaType?: string };
        const schemaType = body.schemaType ?? 'AVRO';
        let id = schemas.findIndex((s) => s.schema === body.schema && s.schemaType === schemaType) + 1;
        if (id === 0) id = schemas.push({ schema: body.schema, schemaType }) ;
        const subject = decodeURIComponent(m[1] as string);
        const versions = subjects.get(subject) ?? [];
        if (!versions.includes(id)) versions.push(id);
        subjects.set(subject, versions);
        send(200, { id });
        return;
      }
      m = /^\/schemas\/ids\/(\d+)/.exec(url);
      if (m && req.method === 'GET') {
        const s = schemas[Number(m[1]) - 1];
        if (!s) send(404, { error_code: 40403, message: 'Schema not found' });
        else send(200, s.schemaType === 'AVRO' ? { schema: s.schema } : s);
        return;
      }
      m = /^\/subjects\/([^/]+)\/versions\/latest$/.exec(url);
      if (m && req.method === 'GET') {
        const versions = subjects.get(decodeURIComponent(m[1] as string));
        const id = versions?.[versions.length - 1];
        const s = id === undefined ? undefined : schemas[id - 1];
        if (!s || id === undefined) send(404, { error_code: 40401, message: 'Subject not found' });
        else send(200, { subject: m[1], version: versions?.length, id, ...s });
        return;
      }
      send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
