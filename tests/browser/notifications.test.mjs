// The notification centre, as a physician sees it. Notifications come from a real flow (a
// patient sharing cases with them over the API) and reach the open page over the WebSocket
// stream, without a reload. Marking read, the unread filter, marking all read and deleting change
// what is listed and the bell's count; a channel preference is kept across a reload; a registered
// phone is listed by its token's end and removed. Then the page in Spanish. axe on each.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  checkPage,
  launchBrowser,
  openPage,
  signInThroughPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

const physician = { email: 'dr.ruiz@clinic.example', password: 'a long physician passphrase' };
const patient = { email: 'pat@clinic.example', password: 'a long patient passphrase' };
const title = 'A case was shared with you'; // cases' literal notification.invitation.title

let server;
let browser;
let patientToken;

async function shareNewCase(name) {
  const made = await server.api('POST', '/api/v1/cases', patientToken, { patient: { name } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const shared = await server.api('POST', `/api/v1/cases/${made.body.id}/shares`, patientToken, {
    email: physician.email,
  });
  assert.equal(shared.status, 201, JSON.stringify(shared.body));
}

before(async () => {
  server = await startCarehub();
  browser = await launchBrowser();
  const admin = await server.token();
  for (const [who, roles, language] of [
    [physician, ['physician'], 'en'],
    [patient, ['patient'], 'en'],
  ]) {
    const made = await server.api('POST', '/api/v1/users', admin, {
      email: who.email,
      password: who.password,
      roles,
      language,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
  patientToken = await server.token(patient.email, patient.password);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a physician follows, sorts and tunes their notifications', async () => {
  const page = await openPage(browser);
  await signInThroughPage(page, server, physician.email, physician.password);
  await waitForHeading(page, /^Welcome/);
  await page.getByRole('navigation').getByRole('link', { name: 'Notifications' }).click();
  await waitForHeading(page, 'Notifications');
  const main = page.locator('main');
  await main.getByText('You have no notifications.', { exact: true }).waitFor();
  const bell = page.locator('.bell-button');
  await waitForText(bell, /none unread/);

  // Two cases shared while the page is open: both appear, unread, with no reload.
  await shareNewCase('Ana Ruiz');
  await shareNewCase('Luis Gil');
  const inbox = page.locator('.centre-list > li');
  await waitForText(page.getByTestId('unread-count'), '2 unread');
  assert.equal(await inbox.count(), 2);
  assert.equal(await inbox.filter({ hasText: title }).count(), 2);
  assert.equal(await page.locator('.centre-list .badge').count(), 2);
  await waitForText(bell, /2 unread/);
  await checkPage(page, 'notifications');

  // One read: the count, the bell and the unread filter follow.
  await inbox.first().getByRole('button', { name: `Mark as read: ${title}` }).click();
  await main.getByText('Marked as read.', { exact: true }).waitFor();
  await waitForText(page.getByTestId('unread-count'), '1 unread');
  await waitForText(bell, /1 unread/);
  await page.getByLabel('Unread only').check();
  await waitForText(page.getByTestId('unread-count'), '1 unread');
  await page.waitForFunction(() => document.querySelectorAll('.centre-list > li').length === 1);
  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await main.getByText('You have no unread notifications.', { exact: true }).waitFor();
  await waitForText(bell, /none unread/);
  await page.getByLabel('Unread only').uncheck();
  await page.waitForFunction(() => document.querySelectorAll('.centre-list > li').length === 2);

  // Deleting asks first; Cancel keeps it, Delete removes it for good.
  await inbox.first().getByRole('button', { name: `Delete: ${title}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await inbox.count(), 2);
  await inbox.first().getByRole('button', { name: `Delete: ${title}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await main.getByText('The notification is deleted.', { exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.centre-list > li').length === 1);

  // Email for shared cases: saved, and still on after a reload.
  const email = page.getByLabel('By email: A case shared with you');
  assert.equal(await email.isChecked(), false);
  await email.check();
  await page.getByText('Saved for "A case shared with you".', { exact: true }).waitFor();
  const doctor = await server.token(physician.email, physician.password);
  const prefs = await server.api('GET', '/api/v1/notifications/preferences', doctor);
  assert.deepEqual(
    prefs.body.preferences.find((p) => p.type === 'cases.invitation'),
    { type: 'cases.invitation', in_app: true, push: true, email: true },
  );

  // A phone registered by the app: listed by the end of its token, and removed.
  const device = await server.api('POST', '/api/v1/notifications/devices', doctor, {
    platform: 'fcm',
    token: 'fcm-token-0123456789-abcdef',
    app: 'org.clinic.app',
  });
  assert.equal(device.status, 201, JSON.stringify(device.body));
  await page.reload();
  await waitForHeading(page, 'Notifications');
  assert.equal(await page.getByLabel('By email: A case shared with you').isChecked(), true);
  const phones = page.getByRole('region', { name: 'Your phones' });
  await phones.getByRole('cell', { name: '…abcdef', exact: true }).waitFor();
  assert.equal(await page.getByText('fcm-token-0123456789').count(), 0, 'never the whole token');
  await checkPage(page, 'notifications-settings');
  await page.getByRole('button', { name: 'Remove org.clinic.app (…abcdef)' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await page.getByText('No phone is registered for pushes.', { exact: false }).waitFor();
  const left = await server.api('GET', '/api/v1/notifications/devices', doctor);
  assert.equal(left.body.devices.length, 0);
});

test('the notification centre in Spanish', async () => {
  // The console speaks the profile's language once signed in.
  const token = await server.token(patient.email, patient.password);
  const changed = await server.api('PATCH', '/api/v1/auth/me', token, { language: 'es' });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  const page = await openPage(browser);
  await signInThroughPage(page, server, patient.email, patient.password);
  await waitForHeading(page, /^Le damos la bienvenida|^Bienvenid/);
  await page.getByRole('navigation').getByRole('link', { name: 'Notificaciones' }).click();
  await waitForHeading(page, 'Notificaciones');
  await page.getByRole('heading', { name: 'Bandeja de entrada' }).waitFor();
  await page.getByRole('heading', { name: 'Cómo se le avisa' }).waitFor();
  await page.getByLabel('Por correo: Un caso compartido con usted').waitFor();
  await page.locator('main').getByText('No tiene notificaciones.', { exact: true }).waitFor();
  await checkPage(page, 'notifications-es');
});
