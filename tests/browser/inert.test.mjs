// Markup in data is shown as text, never run: an address with an HTML payload that reached the
// store through the operators' registry import, shown on the logged-in main page; and markup
// typed into the registration form, echoed in its messages.
//
// Run: npm test (from tests/browser).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, callApi, launchBrowser, startServer, waitForLink } from './harness.mjs';

const PAYLOAD = 'г. Калуга, ул. <img src=x onerror=window.__xss=1>, д. 1';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an address holding markup is stored and shown as text', { timeout: 60_000 }, async () => {
  // The billing system's export is outside our control: import a row carrying a payload.
  const file = join(server.dataDir, 'registry.csv');
  writeFileSync(file, `account;address;meter;digits;reading;reading_night;tariff;balance\n190000001;${PAYLOAD};single;5;1;;urban;0\n`);
  const bin = process.env.SVET_BIN || join(REPO, 'target', 'debug', 'svet');
  execFileSync(bin, ['import-registry', file], { env: { ...process.env, SVET_DATA_DIR: server.dataDir } });

  const who = { account: '190000001', password: 'Payload-Test-2026', email: 'payload@list.ru' };
  const reply = await callApi(server.url, 'POST', '/api/register', {
    account: who.account, password: who.password, password_confirm: who.password, email: who.email, address: PAYLOAD, consent: true,
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  const { link } = await waitForLink(server.dataDir, { to: who.email, page: 'activate.html' });
  const token = new URL(link).hash.replace(/^#token=/, '');
  assert.equal((await callApi(server.url, 'POST', '/api/activate', { token })).status, 200);

  const ctx = await browser.newContext({ locale: 'ru-RU' });
  try {
    const page = await ctx.newPage();
    /** @type {string[]} */
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(new URL('/login.html', server.url).href);
    await page.fill('#account', who.account);
    await page.fill('#password', who.password);
    await page.press('#password', 'Enter');
    await page.waitForURL(new URL('/', server.url).href);
    const address = page.locator('#me-address');
    await address.waitFor();
    assert.equal((await address.textContent())?.trim(), PAYLOAD, 'the address is shown literally');
    assert.equal(await address.locator('img').count(), 0, 'no element was made from it');
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__xss), undefined, 'nothing ran');
    assert.deepEqual(dialogs, []);
  } finally {
    await ctx.close();
  }
});

test('markup typed into the form comes back in messages as text', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext({ locale: 'ru-RU' });
  try {
    const page = await ctx.newPage();
    await page.goto(new URL('/register.html', server.url).href);
    await page.fill('#account', '<b>1</b>');
    await page.locator('#account').blur();
    const form = page.locator('form').first();
    await form.locator('.field__error').first().waitFor();
    assert.equal(await form.locator('.field__error b').count(), 0, 'no <b> element in the message');
    assert.match((await form.locator('.field__error').first().textContent()) ?? '', /</, 'the character is named as text');
    await page.fill('#email', '"><svg onload=window.__xss=1>@list.ru');
    await page.getByRole('button', { name: 'Зарегистрироваться' }).click();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('svg[onload]').count(), 0);
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__xss), undefined, 'nothing ran');
  } finally {
    await ctx.close();
  }
});
