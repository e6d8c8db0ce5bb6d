/**
 * The console's security pages against a broker with an authorizer: ACLs, client quotas and SCRAM
 * users set over the wire are listed (and screenshotted); then a DENY of the console's principal
 * (User:ANONYMOUS) on the cluster makes the overview say "Not authorized" with Kafka's error,
 * without a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import { AclOp, AclResourceType, PatternType, PermissionType } from '../../src/auth/acl.js';
import { createAcls } from '../auth/acl-helpers.js';
import { setScramCredentials } from '../helpers/security.js';
import { consoleBrowserSuite, newPage } from './console-fixture.js';

const suite = consoleBrowserSuite({ 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'true' });

const acl = (resourceType: number, resourceName: string, principal: string, operation: number, permissionType: number = PermissionType.ALLOW, patternType: number = PatternType.LITERAL) => ({ resourceType, resourceName, patternType, principal, host: '*', operation, permissionType });

test('ACLs, quotas and SCRAM users are listed; a denied console says it is not authorized', { timeout: 90_000 }, async () => {
  const admin = await ProtocolClient.connect({ port: suite.cb.broker.port, clientId: 'console-security-test' });
  try {
    await createAcls(admin, [
      acl(AclResourceType.TOPIC, 'orders', 'User:alice', AclOp.READ),
      acl(AclResourceType.TOPIC, 'orders', 'User:alice', AclOp.DESCRIBE),
      acl(AclResourceType.GROUP, 'billing-', 'User:alice', AclOp.READ, PermissionType.ALLOW, PatternType.PREFIXED),
      acl(AclResourceType.TOPIC, 'payments', 'User:bob', AclOp.WRITE),
      acl(AclResourceType.TOPIC, 'payments', 'User:mallory', AclOp.ALL, PermissionType.DENY),
    ]);
    const quotas = await admin.request<{ entries: { errorCode: number }[] }>(49, 1, {
      entries: [
        { entity: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'producer_byte_rate', value: 1048576, remove: false }, { key: 'consumer_byte_rate', value: 2097152, remove: false }] },
        { entity: [{ entityType: 'client-id', entityName: null }], ops: [{ key: 'request_percentage', value: 50, remove: false }] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(quotas.entries.map((e) => e.errorCode), [0, 0]);
  } finally {
    admin.close();
  }
  const scram = await setScramCredentials(suite.cb.broker.port, [
    { name: 'alice', password: 'alice-secret', mechanism: 'SCRAM-SHA-256' },
    { name: 'bob', password: 'bob-secret', mechanism: 'SCRAM-SHA-512', iterations: 8192 },
  ]);
  assert.deepEqual(scram.map((r) => r.errorCode), [0, 0]);

  const { page } = await newPage(suite.browser);
  await page.goto(`${suite.cb.url}/acls`);
  await page.locator('[data-testid=acls] tbody tr').nth(4).waitFor();
  const acls = await page.getByTestId('acls').innerText();
  assert.match(acls, /User:alice\s+\*\s+ALLOW\s+READ\s+GROUP\s+billing-\s+PREFIXED/);
  assert.match(acls, /User:mallory\s+\*\s+DENY\s+ALL\s+TOPIC\s+payments\s+LITERAL/);
  await page.screenshot({ path: join(suite.shotsDir, 'acls.png') });
  await page.getByLabel('filter acls').fill('bob');
  assert.equal(await page.locator('[data-testid=acls] tbody tr').count(), 1);

  await page.goto(`${suite.cb.url}/quotas`);
  await page.locator('[data-testid=quotas] tbody tr').nth(2).waitFor();
  const q = await page.getByTestId('quotas').innerText();
  assert.match(q, /user=alice\s+producer_byte_rate\s+1048576/);
  assert.match(q, /user=alice\s+consumer_byte_rate\s+2097152/);
  assert.match(q, /client-id=\(default\)\s+request_percentage\s+50/);
  await page.screenshot({ path: join(suite.shotsDir, 'quotas.png') });

  await page.goto(`${suite.cb.url}/users`);
  await page.locator('[data-testid=users] tbody tr').nth(1).waitFor();
  const users = await page.getByTestId('users').innerText();
  assert.match(users, /alice\s+SCRAM-SHA-256 \(4096 iterations\)/);
  assert.match(users, /bob\s+SCRAM-SHA-512 \(8192 iterations\)/);
  await page.screenshot({ path: join(suite.shotsDir, 'users.png') });

  // Deny the console's principal on the cluster: the overview says so.
  const admin2 = await ProtocolClient.connect({ port: suite.cb.broker.port, clientId: 'console-security-test' });
  try {
    await createAcls(admin2, [acl(AclResourceType.CLUSTER, 'kafka-cluster', 'User:ANONYMOUS', AclOp.DESCRIBE, PermissionType.DENY)]);
  } finally {
    admin2.close();
  }
  await page.goto(`${suite.cb.url}/`);
  const box = page.getByTestId('error');
  await box.getByText('Not authorized').waitFor();
  assert.match(await box.innerText(), /CLUSTER_AUTHORIZATION_FAILED/);
  assert.doesNotMatch(await box.innerText(), /\.js:\d+/);
  await page.goto(`${suite.cb.url}/acls`);
  await page.getByTestId('error').getByText('Not authorized').waitFor();
});
