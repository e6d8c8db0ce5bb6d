/**
 * The console's security pages act, in Chromium against a broker with an authorizer and a
 * SASL_PLAINTEXT listener: an ACL added from the form is listed and deleted after typing the
 * confirmation; a quota set on a user is listed and removed; a SCRAM-SHA-256 credential saved from
 * the form lets kafkajs log in with it, and once deleted (confirmation: the user's name) kafkajs
 * is refused. Each step asserts on what the page shows; the API refuses a malformed binding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import type { Page } from 'playwright-core';
import { consoleBrowserSuite, newPage } from './console-fixture.js';

const suite = consoleBrowserSuite({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'true',
    'connection.failed.authentication.delay.ms': '50',
  });

const saslPort = (): number => {
  const l = suite.cb.broker.broker.listeners.find((x) => x.name === 'SASL_PLAINTEXT');
  if (l === undefined) throw new Error('no SASL_PLAINTEXT listener');
  return l.port;
};

/** Lists topics as `user` over SCRAM-SHA-256; answers the error message when refused. */
async function scramLogin(user: string, password: string): Promise<string> {
  const admin = new Kafka({ clientId: 'console-scram', brokers: [`127.0.0.1:${saslPort()}`], sasl: { mechanism: 'scram-sha-256', username: user, password }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return 'ok';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function confirmIn(row: ReturnType<Page['locator']>, label: string, word: string): Promise<void> {
  await row.getByRole('button', { name: label, exact: true }).click();
  await row.getByLabel('confirmation').fill(word);
  await row.getByRole('button', { name: `Confirm ${label.toLowerCase()}` }).click();
}

test('ACLs added and deleted, a quota set and removed, a SCRAM user saved (kafkajs logs in) and deleted, from the pages', { timeout: 120_000 }, async () => {
  const { page, errors } = await newPage(suite.browser);

  // ACLs
  await page.goto(`${suite.cb.url}/acls`);
  await page.getByText('No ACLs.').waitFor();
  const form = page.getByTestId('add-acl');
  await form.getByLabel('Principal').fill('User:carol');
  await form.getByLabel('Resource name').fill('orders');
  await form.getByLabel('Operation').selectOption('WRITE');
  await form.getByRole('button', { name: 'Add ACL' }).click();
  await page.getByTestId('notice').getByText('Added ALLOW WRITE on TOPIC orders for User:carol.').waitFor();
  await form.getByLabel('Resource type').selectOption('GROUP');
  await form.getByLabel('Resource name').fill('billing-');
  await form.getByLabel('Pattern').selectOption('PREFIXED');
  await form.getByLabel('Operation').selectOption('READ');
  await form.getByLabel('Permission').selectOption('DENY');
  await form.getByRole('button', { name: 'Add ACL' }).click();
  await page.locator('[data-testid=acls] tbody tr').nth(1).waitFor();
  const acls = await page.getByTestId('acls').innerText();
  assert.match(acls, /User:carol\s+\*\s+ALLOW\s+WRITE\s+TOPIC\s+orders\s+LITERAL/);
  assert.match(acls, /User:carol\s+\*\s+DENY\s+READ\s+GROUP\s+billing-\s+PREFIXED/);
  await confirmIn(page.locator('[data-testid=acls] tbody tr', { hasText: 'orders' }), 'Delete', 'delete');
  await page.getByTestId('notice').getByText('Deleted 1 ACL.').waitFor();
  await page.locator('[data-testid=acls] tbody tr', { hasText: 'orders' }).waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-testid=acls] tbody tr').count(), 1);
  const refused = await page.evaluate(async () => (await fetch('/api/acls', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'carol', resourceType: 'TOPIC', resourceName: 'x', operation: 'READ' }) })).status);
  assert.equal(refused, 400);

  // Quotas
  await page.goto(`${suite.cb.url}/quotas`);
  await page.getByText('No client quotas.').waitFor();
  const qf = page.getByTestId('set-quota');
  await qf.getByLabel('User', { exact: true }).fill('carol');
  await qf.getByLabel('Value').fill('1048576');
  await qf.getByRole('button', { name: 'Set quota' }).click();
  await page.getByTestId('notice').getByText('Set producer_byte_rate=1048576 for user=carol.').waitFor();
  await qf.getByLabel('User', { exact: true }).fill('');
  await qf.getByLabel('default user').check();
  await qf.getByLabel('Quota').selectOption('request_percentage');
  await qf.getByLabel('Value').fill('50');
  await qf.getByRole('button', { name: 'Set quota' }).click();
  await page.locator('[data-testid=quotas] tbody tr').nth(1).waitFor();
  const quotas = await page.getByTestId('quotas').innerText();
  assert.match(quotas, /user=carol\s+producer_byte_rate\s+1048576/);
  assert.match(quotas, /user=\(default\)\s+request_percentage\s+50/);
  await confirmIn(page.locator('[data-testid=quotas] tbody tr', { hasText: 'user=carol' }), 'Remove', 'remove');
  await page.getByTestId('notice').getByText('Removed producer_byte_rate of user=carol.').waitFor();
  await page.locator('[data-testid=quotas] tbody tr', { hasText: 'user=carol' }).waitFor({ state: 'detached' });

  // SCRAM users
  assert.match(await scramLogin('carol', 'carol-secret'), /SASL|auth/i);
  await page.goto(`${suite.cb.url}/users`);
  await page.getByText('No SCRAM users.').waitFor();
  const uf = page.getByTestId('add-user');
  await uf.getByLabel('User', { exact: true }).fill('carol');
  await uf.getByLabel('Password').fill('carol-secret');
  await uf.getByLabel('Iterations').fill('8192');
  await uf.getByRole('button', { name: 'Save credential' }).click();
  await page.getByTestId('notice').getByText('Saved the SCRAM-SHA-256 credential of carol.').waitFor();
  await page.locator('[data-testid=users] tbody tr', { hasText: 'carol' }).waitFor();
  assert.match(await page.getByTestId('users').innerText(), /carol\s+SCRAM-SHA-256 \(8192 iterations\)/);
  assert.equal(await uf.getByLabel('Password').inputValue(), '');
  assert.equal(await scramLogin('carol', 'carol-secret'), 'ok');
  const row = page.locator('[data-testid=users] tbody tr', { hasText: 'carol' });
  await row.getByRole('button', { name: 'Delete', exact: true }).click();
  await row.getByLabel('confirmation').fill('caro');
  assert.equal(await row.getByRole('button', { name: 'Confirm delete' }).isDisabled(), true);
  await row.getByLabel('confirmation').fill('carol');
  await row.getByRole('button', { name: 'Confirm delete' }).click();
  await page.getByTestId('notice').getByText('Deleted the credentials of carol (SCRAM-SHA-256).').waitFor();
  await page.getByText('No SCRAM users.').waitFor();
  assert.match(await scramLogin('carol', 'carol-secret'), /SASL|auth/i);
  assert.deepEqual(errors, []);
});
