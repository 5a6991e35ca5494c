// The console in Spanish: from the browser's language before sign-in, from the profile's after.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  adminEmail,
  checkPage,
  launchBrowser,
  openPage,
  password,
  signInThroughPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startCarehub();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

test('a Spanish browser gets the sign-in page in Spanish', async () => {
  const page = await openPage(browser, { locale: 'es-ES' });
  await page.goto(server.url);
  await waitForHeading(page, 'Iniciar sesión');
  assert.equal(new URL(page.url()).pathname, '/signin');
  assert.equal(await htmlLang(page), 'es');
  await page.getByLabel('Correo electrónico', { exact: true }).fill(adminEmail);
  await page.getByLabel('Contraseña', { exact: true }).fill('no es la contraseña');
  await page.getByRole('button', { name: 'Español', pressed: true }).waitFor();
  await checkPage(page, 'i18n-signin-es');

  // The server's own messages are shown as it wrote them.
  await page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
  await waitForText(
    page.getByRole('alert'),
    'invalid credentials (or the account is temporarily locked)',
  );

  // The person may switch the page's language by hand.
  await page.getByRole('button', { name: 'English' }).click();
  await waitForHeading(page, 'Sign in');
  assert.equal(await htmlLang(page), 'en');
  await page.getByLabel('Email', { exact: true }).waitFor();
  assert.deepEqual(page.problems, []);
});

test('an admin who chooses Español in Profile sees the console in Spanish', async () => {
  const page = await openPage(browser, { locale: 'en-US' });
  await signInThroughPage(page, server);
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  assert.equal(await htmlLang(page), 'en');

  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Profile' }).click();
  await waitForHeading(page, 'Profile');
  await page.getByRole('region', { name: 'Your details' }).waitFor();
  await checkPage(page, 'profile');

  const details = page.getByRole('region', { name: 'Your details' });
  await details.getByLabel('First name').fill('Ana');
  await details.getByLabel('Last name').fill('Ruiz');
  await details.getByLabel('Language').selectOption({ label: 'Español' });
  await details.getByRole('button', { name: 'Save' }).click();

  // At once, without a reload: the whole console, and the page's declared language.
  await waitForHeading(page, 'Perfil');
  const datos = page.getByRole('region', { name: 'Sus datos' });
  await waitForText(datos.getByRole('status'), 'Se ha guardado su perfil.');
  assert.equal(await htmlLang(page), 'es');
  const navegacion = page.getByRole('navigation', { name: 'Principal' });
  await navegacion.getByRole('link', { name: 'Inicio' }).waitFor();
  await navegacion.getByRole('heading', { name: 'Administración' }).waitFor();
  await page.getByRole('region', { name: 'Cambiar la contraseña' }).waitFor();
  await checkPage(page, 'i18n-profile-es');

  // The choice is the account's: a reload keeps it, and so do the other pages.
  await page.reload();
  await waitForHeading(page, 'Perfil');
  assert.equal(await htmlLang(page), 'es');
  await navegacion.getByRole('link', { name: 'Inicio' }).click();
  await waitForHeading(page, 'Bienvenido/a, Ana Ruiz');
  await page.getByText('Sus roles: Administrador.').waitFor();
  await checkPage(page, 'i18n-home-es');
  await navegacion.getByRole('link', { name: 'Usuarios' }).click();
  await waitForHeading(page, 'Usuarios');
  await page.getByRole('searchbox', { name: 'Buscar usuarios' }).waitFor();
  await page.getByRole('region', { name: 'Usuario nuevo' }).waitFor();
  await page.getByRole('link', { name: 'Ana Ruiz' }).waitFor();
  await checkPage(page, 'i18n-users-es');

  // The server has it too.
  const me = await server.api('GET', '/api/v1/auth/me', await server.token(adminEmail, password));
  assert.equal(me.body.language ?? me.body.user?.language, 'es');

  // Signed out, the browser's language (English) is back.
  await page.getByRole('button', { name: 'Menú de la cuenta: Ana Ruiz' }).click();
  await page.getByRole('button', { name: 'Cerrar sesión' }).click();
  await waitForHeading(page, 'Sign in');
  assert.equal(await htmlLang(page), 'en');
  assert.deepEqual(page.problems, []);
});
