import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, ProtocolDecodeError } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import {
  requestHeaderVersion,
  responseHeaderVersion,
  readRequestHeader,
  writeRequestHeader,
  readResponseHeader,
  writeResponseHeader,
} from '../../src/protocol/header.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('header versions by API key and version', () => {
  assert.equal(requestHeaderVersion(ApiKey.Produce, 8), 1);
  assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2);
  assert.equal(responseHeaderVersion(ApiKey.Produce, 8), 0);
  assert.equal(responseHeaderVersion(ApiKey.Produce, 9), 1);
  assert.equal(requestHeaderVersion(ApiKey.Metadata, 9), 2);
  assert.equal(responseHeaderVersion(ApiKey.Metadata, 9), 1);
  // ApiVersions: flexible requests from v3, but responses always use header v0
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 2), 1);
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2);
  assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0);
  assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 4), 0);
  // ControlledShutdown v0 uses request header v0
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 1), 1);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 3), 2);
  // never-flexible API
  assert.equal(requestHeaderVersion(ApiKey.SaslHandshake, 1), 1);
  assert.equal(responseHeaderVersion(ApiKey.SaslHandshake, 1), 0);
  // unknown API key: classic header
  assert.equal(requestHeaderVersion(9999, 0), 1);
  assert.equal(responseHeaderVersion(9999, 0), 0);
});

test('request header v1: nullable int16-length client id', () => {
  const w = new Writer();
  writeRequestHeader(w, { requestApiKey: 3, requestApiVersion: 1, correlationId: 42, clientId: 'cli' });
  const b = w.toBuffer();
  assert.deepEqual(b, hex('0003 0001 0000002a 0003 636c69'));
  const r = new Reader(b);
  assert.deepEqual(readRequestHeader(r), { requestApiKey: 3, requestApiVersion: 1, correlationId: 42, clientId: 'cli', headerVersion: 1 });
  assert.equal(r.remaining(), 0);

  const w2 = new Writer();
  writeRequestHeader(w2, { requestApiKey: 3, requestApiVersion: 1, correlationId: 1, clientId: null });
  assert.deepEqual(w2.toBuffer(), hex('0003 0001 00000001 ffff'));
  assert.equal(readRequestHeader(new Reader(w2.toBuffer())).clientId, null);
});

test('request header v2: client id stays non-compact, tagged fields follow (unknown ones skipped)', () => {
  const w = new Writer();
  writeRequestHeader(w, { requestApiKey: 0, requestApiVersion: 9, correlationId: 5, clientId: 'ab' });
  assert.deepEqual(w.toBuffer(), hex('0000 0009 00000005 0002 6162 00'));
  // with an unknown tagged field (tag 3, 2 bytes), followed by the body
  const b = hex('0000 0009 00000005 0002 6162 01 03 02 beef 99');
  const r = new Reader(b);
  assert.deepEqual(readRequestHeader(r), { requestApiKey: 0, requestApiVersion: 9, correlationId: 5, clientId: 'ab', headerVersion: 2 });
  assert.equal(r.readUInt8(), 0x99);
});

test('request header v0 (ControlledShutdown v0): no client id', () => {
  const w = new Writer();
  writeRequestHeader(w, { requestApiKey: 7, requestApiVersion: 0, correlationId: 9, clientId: 'ignored' });
  assert.deepEqual(w.toBuffer(), hex('0007 0000 00000009'));
  const r = new Reader(hex('0007 0000 00000009 00000001'));
  assert.deepEqual(readRequestHeader(r), { requestApiKey: 7, requestApiVersion: 0, correlationId: 9, clientId: null, headerVersion: 0 });
  assert.equal(r.readInt32(), 1);
});

test('explicit header version override', () => {
  const w = new Writer();
  writeRequestHeader(w, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'x' }, 1);
  assert.deepEqual(w.toBuffer(), hex('0012 0003 00000001 0001 78'));
});

test('response headers v0 and v1', () => {
  const w = new Writer();
  writeResponseHeader(w, 77, 0);
  writeResponseHeader(w, 78, 1);
  const b = w.toBuffer();
  assert.deepEqual(b, hex('0000004d 0000004e 00'));
  const r = new Reader(b);
  assert.deepEqual(readResponseHeader(r, 0), { correlationId: 77 });
  assert.deepEqual(readResponseHeader(r, 1), { correlationId: 78 });
  assert.equal(r.remaining(), 0);
  // v1 with an unknown tagged field
  const r2 = new Reader(hex('00000001 01 05 01 aa'));
  assert.deepEqual(readResponseHeader(r2, 1), { correlationId: 1 });
  assert.equal(r2.remaining(), 0);
});

test('truncated headers throw ProtocolDecodeError', () => {
  for (const h of ['', '00', '0003', '0003 0001 0000', '0003 0001 0000002a 00', '0003 0001 0000002a 0005 6162', '0000 0009 00000005 0002 6162']) {
    assert.throws(() => readRequestHeader(new Reader(hex(h))), ProtocolDecodeError, h);
  }
  assert.throws(() => readResponseHeader(new Reader(hex('000000')), 0), ProtocolDecodeError);
  assert.throws(() => readResponseHeader(new Reader(hex('00000001')), 1), ProtocolDecodeError);
});
