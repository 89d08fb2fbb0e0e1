// Card payments end to end in a real browser against the local server and its built-in
// Sberbank gateway simulator: «Оплатить» on «Счёт», the bank's hosted page on another site,
// the return to «Счёт» still logged in (the session cookie is SameSite=Strict), «Оплачено по
// текущей квитанции» (B9) growing with each payment, a declined card, readings sent without
// payment (P5), the «Платежи» list and its date range (P1–P3), the printable receipt and its
// PDF (P4), and another customer's receipt refused. axe-core and the 360 px phone layout on
// both new pages.
//
// One server (one data folder) for the file; two demo accounts, registered and activated
// through the API and the outbox, logged in through /login.html; this period's bills posted
// with `svet generate-bills` before anything is paid:
//   180211111  single-rate meter, 5 digits, registry reading 12345: pays by card
//   180211112  day/night meter: sends readings without payment, then tries the first one's receipt
//
// The cross-site return: the portal runs at http://127.0.0.1:PORT. The local server's simulator
// writes its formUrl on the same host, so this file answers the page's POST /api/payments with
// the bank's page's address moved to http://localhost:PORT (the same simulator, another site:
// host names make a site, ports do not). When the server itself puts the bank on another host,
// nothing is rewritten; either way the test asserts the bank's page is on another site and the
// return request came without the session cookie.
//
// Run: npm test (from tests/browser).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CARDS, SCREENSHOTS, callApi, eventually, formatViolations, launchBrowser, logInAt, moscowToday, payOnBankPage,
  postBills, readingPeriod, registerAndActivate, runAxe, startServer,
} from './harness.mjs';

const TIMEOUT = 120_000;

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {{name: string, short_name: string, support_phone: string, support_email: string}} */
let company;

const PAYER = { account: '180211111', address: 'г. Калуга, ул. Ленина, д. 12, кв. 5', email: 'lenina12@mail.ru', password: 'Lenina-12-kv5!' };
const OTHER = { account: '180211112', address: 'г. Калуга, ул. Кирова, д. 3, кв. 41', email: 'kirova3@mail.ru', password: 'Kirova-3-41!' };

/** What the payer paid, in order, as the tests go: kopecks, the reading sent, the card's outcome. */
/** @type {Array<{kopecks: number, reading: number, outcome: 'paid' | 'declined'}>} */
const paid = [];

/** @param {string} path */
const at = (path) => new URL(path, server.url).href;

/** @param {string} text */
const plain = (text) => text.replace(/[\s\u00a0]+/g, ' ').trim();

/** Integer kopecks → «1 234,56 ₽» with plain spaces. @param {number} kopecks */
function rub(kopecks) {
  const text = String(kopecks).padStart(3, '0');
  return `${text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')},${text.slice(-2)} ₽`;
}

/** "2026-11-25" → "25.11.2026" @param {string} iso */
const dotted = (iso) => iso.split('-').reverse().join('.');

/** "YYYY-MM-DD" plus `days` (negative: back). @param {string} iso @param {number} days */
function addDays(iso, days) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** "YYYY-MM-DD" three calendar months back, the day clamped to the month's end (the API's default). @param {string} iso */
function threeMonthsBack(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  let month = m - 3;
  let year = y;
  if (month < 1) {
    month += 12;
    year -= 1;
  }
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const reply = await callApi(server.url, 'GET', '/api/company');
  assert.equal(reply.status, 200);
  company = reply.body;
  for (const who of [PAYER, OTHER]) await registerAndActivate(server, who);
  // «Оплачено по текущей квитанции» counts payments since the current bill was posted.
  postBills(server, readingPeriod());
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** @param {import('playwright-core').BrowserContextOptions} [options] */
const newContext = (options = {}) =>
  browser.newContext({ locale: 'ru-RU', timezoneId: 'Europe/Moscow', viewport: { width: 1280, height: 900 }, bypassCSP: true, ...options });

/**
 * A page that records script errors and CSP reports (a 4xx/5xx answer of the API is the
 * page's business, not an error).
 * @param {import('playwright-core').BrowserContext} ctx
 */
async function watchedPage(ctx) {
  const page = await ctx.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/status of [45]\d\d/.test(m.text()) && m.location().url.includes('/api/')) return;
    errors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  return { page, errors };
}

/** @param {import('playwright-core').Locator} locator @param {string} part */
const textContains = (locator, part) =>
  eventually(
    async () => ((await locator.count()) ? plain((await locator.first().innerText()) ?? '') : '(no element)'),
    (t) => t.includes(plain(part)),
    `${locator} should contain «${part}»`,
  );

/** @param {import('playwright-core').Page} page @param {string} what */
async function noSeriousAxe(page, what) {
  const violations = await runAxe(page);
  assert.deepEqual(violations.map((v) => v.id), [], `axe-core on ${what}:\n${formatViolations(violations)}`);
}

/** @param {import('playwright-core').Page} page */
async function noHorizontalScroll(page) {
  const { scrollWidth, clientWidth, wide } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${String(e.className)} right=${Math.round(e.getBoundingClientRect().right)}`),
  }));
  assert.equal(clientWidth, 360);
  assert.ok(scrollWidth <= 360, `horizontal scroll: ${scrollWidth} > 360; too wide: ${wide.join(', ')}`);
  const scrolling = await page.locator('.table-wrap').evaluateAll((els) =>
    els.filter((e) => e.getClientRects().length > 0 && e.scrollWidth > e.clientWidth + 1).map((e) => `${e.firstElementChild?.id}: ${e.scrollWidth} > ${e.clientWidth}`),
  );
  assert.deepEqual(scrolling, [], 'tables wider than the phone');
}

/**
 * Puts the bank's page on another site than the portal (see the file's header): the answer of
 * POST /api/payments gets its form_url moved from the portal's host to the other loopback name.
 * @param {import('playwright-core').Page} page
 */
async function bankOnAnotherSite(page) {
  const portal = new URL(server.url);
  const other = portal.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  await page.route(at('/api/payments'), async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    /** @type {any} */
    let body;
    try {
      body = await response.json();
    } catch {
      return route.fulfill({ response });
    }
    if (typeof body?.form_url === 'string') {
      const url = new URL(body.form_url);
      if (url.hostname === portal.hostname) url.hostname = other;
      body.form_url = url.href;
    }
    return route.fulfill({ response, json: body });
  });
}

/**
 * The requests of the bank's return (GET /api/payments/return), with whether the session cookie
 * came with each.
 * @param {import('playwright-core').Page} page
 */
function watchReturns(page) {
  /** @type {Array<{url: string, cookie: boolean}>} */
  const returns = [];
  page.on('request', async (request) => {
    if (!request.url().includes('/api/payments/return')) return;
    const headers = await request.allHeaders();
    returns.push({ url: request.url(), cookie: /__Host-svet_session=/.test(headers.cookie ?? '') });
  });
  return returns;
}

/**
 * On «Счёт»: types the amount and the reading, presses «Оплатить» (answers «Да, показания
 * верны» if the server questions the reading) and waits for the bank's page.
 * @param {import('playwright-core').Page} page @param {string} amount @param {Record<string, string>} readings
 */
async function startPayment(page, amount, readings) {
  await page.getByLabel('Сумма к оплате, ₽', { exact: true }).fill(amount);
  for (const [label, value] of Object.entries(readings)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Оплатить', exact: true }).click();
  const confirm = page.getByRole('button', { name: 'Да, показания верны' });
  await eventually(
    async () => {
      if (page.url().includes('/sim/sberbank/')) return true;
      if (await confirm.isVisible().catch(() => false)) return true;
      // Never wait for an element here: the page may be leaving for the bank's.
      const status = page.locator('#readings-status');
      return (await status.count().catch(() => 0)) ? plain(await status.innerText({ timeout: 500 }).catch(() => '')) : '';
    },
    (v) => v === true || /Ошибка/.test(String(v)),
    'the bank\'s page, a question about the reading, or an error',
    15_000,
  ).catch(async (e) => {
    throw new Error(`${e.message}\n${page.url()}\n${plain(await page.locator("body").innerText({ timeout: 2000 }).catch(() => "(no body)"))}`);
  });
  if (!page.url().includes('/sim/sberbank/') && (await confirm.isVisible().catch(() => false))) await confirm.click();
  await page.waitForURL(/\/sim\/sberbank\//, { timeout: 15_000 }).catch(async (e) => {
    throw new Error(`not on the bank's page: «${await page.locator('#readings-status').innerText()}» ${e}`);
  });
}

/** @param {import('playwright-core').Page} page */
async function paidLine(page) {
  const line = page.locator('.totals__paid');
  return (await line.count()) ? plain(await line.innerText()) : '(no line)';
}

describe('paying on «Счёт» (180211111)', () => {
  test('the success card through the bank\'s page on another site, back logged in; then the 3-D Secure card and once more: «Оплачено по текущей квитанции» grows', { timeout: TIMEOUT }, async () => {
    const ctx = await newContext();
    try {
      const { page, errors } = await watchedPage(ctx);
      await logInAt(page, server.url, PAYER, '/bill.html');
      await page.locator('#bill-page').waitFor();
      await textContains(page.locator('.totals__due'), 'Итого к оплате');
      assert.equal(await page.locator('.totals__paid').count(), 0, 'nothing paid against the new bill yet');
      // The header: «Счёт», «Платежи», «Настройки», «Выход», in that order.
      assert.deepEqual(
        (await page.locator('#session-nav a, #session-nav button').allInnerTexts()).map(plain),
        ['Счёт', 'Платежи', 'Настройки', 'Выход'],
      );
      assert.equal(await page.locator('header').getByRole('link', { name: 'Платежи' }).getAttribute('href'), '/payments.html');
      assert.equal(await page.locator('header').getByRole('link', { name: 'Платежи' }).getAttribute('aria-current'), null);

      await bankOnAnotherSite(page);
      const returns = watchReturns(page);
      const portalHost = new URL(server.url).hostname;

      // 1. The success card, no 3-D Secure.
      await startPayment(page, '100,50', { 'Текущие показания счетчика': '12350' });
      const bankHost = new URL(page.url()).hostname;
      assert.notEqual(bankHost, portalHost, 'the bank\'s page is on another site than the portal');
      await textContains(page.locator('main, body').first(), 'Оплата заказа');
      await textContains(page.locator('body'), '100,50');
      await payOnBankPage(page, CARDS.success);
      await page.waitForURL((url) => url.pathname === '/bill.html' && url.hostname === portalHost);
      await page.locator('#bill-page').waitFor();
      paid.push({ kopecks: 10050, reading: 12350, outcome: 'paid' });
      // The return came from another site: the SameSite=Strict cookie stayed home...
      assert.equal(returns.length, 1, `one return: ${JSON.stringify(returns)}`);
      assert.equal(returns[0].cookie, false, 'the bank\'s return is cross-site: no session cookie with it');
      // ...and still the customer is logged in on «Счёт» with the outcome.
      await textContains(page.locator('#payment-status'), 'Платеж успешно выполнен');
      await textContains(page.locator('header'), 'Выход');
      assert.equal(await page.locator('header').getByRole('link', { name: 'Счёт' }).getAttribute('aria-current'), 'page');
      await textContains(page.locator('.totals__paid'), `Оплачено по текущей квитанции ${rub(10050)}`);
      assert.doesNotMatch(page.url(), /payment=/, 'the outcome is not kept in the address');
      // The control: the page's own requests do carry the cookie, so its absence above is the
      // browser's SameSite rule at work, not a header Playwright leaves out.
      const control = page.waitForRequest((r) => r.url() === at('/api/bill'));
      await page.reload();
      assert.match((await (await control).allHeaders()).cookie ?? '', /__Host-svet_session=/, 'same-site requests carry the session cookie');
      await page.locator('#bill-page').waitFor();

      // 2. The 3-D Secure card with the code 111111.
      await startPayment(page, '200', { 'Текущие показания счетчика': '12355' });
      assert.notEqual(new URL(page.url()).hostname, portalHost);
      await payOnBankPage(page, CARDS.challenge);
      await page.waitForURL((url) => url.pathname === '/bill.html' && url.hostname === portalHost);
      await page.locator('#bill-page').waitFor();
      paid.push({ kopecks: 20000, reading: 12355, outcome: 'paid' });
      await textContains(page.locator('#payment-status'), 'Платеж успешно выполнен');
      await textContains(page.locator('.totals__paid'), `Оплачено по текущей квитанции ${rub(30050)}`);

      // 3. Once more with the success card: the sum of all three.
      await startPayment(page, '50,00', { 'Текущие показания счетчика': '12360' });
      await payOnBankPage(page, CARDS.success);
      await page.waitForURL((url) => url.pathname === '/bill.html' && url.hostname === portalHost);
      await page.locator('#bill-page').waitFor();
      paid.push({ kopecks: 5000, reading: 12360, outcome: 'paid' });
      await textContains(page.locator('.totals__paid'), `Оплачено по текущей квитанции ${rub(35050)}`);
      assert.equal(returns.length, 3);
      assert.ok(returns.every((r) => !r.cookie), 'every return is cross-site');
      const bill = await page.evaluate(async () => (await fetch('/api/bill')).json());
      assert.equal(bill.paid_since_bill, 35050, 'the server agrees');
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });

  test('a declined card (3-D Secure, then 116): its status on «Счёт», nothing credited', { timeout: TIMEOUT }, async () => {
    const ctx = await newContext();
    try {
      const { page, errors } = await watchedPage(ctx);
      await logInAt(page, server.url, PAYER, '/bill.html');
      await page.locator('#bill-page').waitFor();
      await textContains(page.locator('.totals__paid'), rub(35050));
      await bankOnAnotherSite(page);
      await startPayment(page, '70,00', { 'Текущие показания счетчика': '12365' });
      await payOnBankPage(page, CARDS.declined);
      await page.waitForURL((url) => url.pathname === '/bill.html');
      await page.locator('#bill-page').waitFor();
      paid.push({ kopecks: 7000, reading: 12365, outcome: 'declined' });
      await textContains(page.locator('#payment-status'), 'Платёж не прошёл: банк отклонил оплату');
      assert.match((await page.locator('#payment-status').getAttribute('class')) ?? '', /status--error/);
      await textContains(page.locator('.totals__paid'), `Оплачено по текущей квитанции ${rub(35050)}`);
      const bill = await page.evaluate(async () => (await fetch('/api/bill')).json());
      assert.equal(bill.paid_since_bill, 35050, 'the declined payment credits nothing');
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });
});

describe('readings without payment (180211112)', () => {
  test('an empty amount sends the readings alone; «Платежи» lists «передача показаний без оплаты» without a sum', { timeout: TIMEOUT }, async () => {
    const ctx = await newContext();
    try {
      const { page, errors } = await watchedPage(ctx);
      await logInAt(page, server.url, OTHER, '/bill.html');
      await page.locator('#bill-page').waitFor();
      const last = async (/** @type {string} */ id) => Number(/Последние показания: (\d+)/.exec(plain(await page.locator(id).innerText()))?.[1]);
      const day = (await last('#day-hint')) + 20;
      const night = (await last('#night-hint')) + 10;
      await page.getByLabel('Текущие показания счетчика (день)', { exact: true }).fill(String(day));
      await page.getByLabel('Текущие показания счетчика (ночь)', { exact: true }).fill(String(night));
      await page.getByLabel('Сумма к оплате, ₽', { exact: true }).fill('');
      await page.getByRole('button', { name: 'Передать показания счетчика' }).click();
      const confirm = page.getByRole('button', { name: 'Да, показания верны' });
      await eventually(
        async () => (await confirm.isVisible()) || plain(await page.locator('#readings-status').innerText()),
        (v) => v === true || String(v).includes('Показания приняты'),
        'the readings are accepted or a question asked',
      );
      if (await confirm.isVisible()) await confirm.click();
      await textContains(page.locator('#readings-status'), 'Показания приняты');
      assert.equal(page.url(), at('/bill.html'), 'no bank page without a sum');

      await page.locator('header').getByRole('link', { name: 'Платежи' }).click();
      await page.waitForURL(at('/payments.html'));
      const rows = page.locator('#payments-table tbody tr');
      await eventually(() => rows.count(), (n) => n === 1, 'one row: the readings');
      const row = rows.first();
      await textContains(row.locator('td[data-label="Платеж"]'), 'передача показаний без оплаты');
      assert.equal(await row.getByRole('link').count(), 0, 'no receipt without a payment');
      await textContains(row.locator('td[data-label="Показания"]'), `день ${day} / ночь ${night}`);
      const sum = plain(await row.locator('td[data-label="Сумма"]').innerText());
      assert.doesNotMatch(sum, /\d/, `no sum: «${sum}»`);
      assert.doesNotMatch(sum, /₽/);
      await textContains(row.locator('th'), dotted(moscowToday()));
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });
});

describe('«Платежи» (180211111)', () => {
  test('date, sum, readings and status of each payment; receipts linked; the date range and «Обновить»; errors; axe; 360 px', { timeout: TIMEOUT }, async () => {
    assert.equal(paid.length, 4, 'the payments of the tests above');
    const ctx = await newContext();
    const phone = await newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    try {
      const { page, errors } = await watchedPage(ctx);
      await page.goto(at('/payments.html'));
      await page.waitForURL(/\/login\.html\?next=%2Fpayments\.html$/);
      await logInAt(page, server.url, PAYER, '/payments.html');
      assert.equal(await page.title(), `Платежи — Личный кабинет — ${company.short_name}`);
      assert.equal(await page.locator('h1').innerText(), 'Платежи');
      assert.equal(await page.locator('header').getByRole('link', { name: 'Платежи' }).getAttribute('aria-current'), 'page');

      // The default range: the last three months, as the server says.
      const today = moscowToday();
      const from = page.getByLabel('С', { exact: true });
      const to = page.getByLabel('По', { exact: true });
      assert.equal(await from.getAttribute('type'), 'date');
      await eventually(() => to.inputValue(), (v) => v === today, '«По» is today');
      assert.equal(await from.inputValue(), threeMonthsBack(today), '«С» is three months back');
      const defaults = await page.evaluate(async () => (await fetch('/api/payments')).json());
      assert.deepEqual([defaults.from, defaults.to], [threeMonthsBack(today), today]);

      // Every payment of the tests above, each once, in the API's order: newest first (to the
      // second: the key orders payments made within one second by id).
      const rows = page.locator('#payments-table tbody tr');
      await eventually(() => rows.count(), (n) => n === 4, 'four rows');
      const api = await page.evaluate(async () => (await fetch('/api/payments')).json());
      const seconds = api.payments.map((/** @type {any} */ p) => String(p.created_at).slice(0, 19));
      assert.deepEqual(seconds, [...seconds].sort().reverse(), `newest first: ${seconds}`);
      const sums = (await rows.locator('td[data-label="Сумма"]').allInnerTexts()).map(plain);
      assert.deepEqual([...sums].sort(), paid.map((p) => rub(p.kopecks)).sort(), 'one row per payment');
      for (const p of paid) {
        const i = sums.indexOf(rub(p.kopecks));
        const row = rows.nth(i);
        const when = plain(await row.locator('th').innerText());
        assert.match(when, new RegExp(`^${dotted(today).replace(/\./g, '\\.')} \\d{2}:\\d{2}$`), `${rub(p.kopecks)}: date and time «${when}»`);
        assert.equal(plain(await row.locator('td[data-label="Показания"]').innerText()), String(p.reading));
        const state = row.locator('td[data-label="Платеж"]');
        const id = (await row.getAttribute('data-id')) ?? '';
        const fromApi = api.payments.find((/** @type {any} */ x) => x.id === id);
        assert.equal(fromApi?.amount, p.kopecks, 'the row is the API\'s payment');
        assert.equal(when, `${fromApi.date_text} ${fromApi.time_text}`, 'the date and time the server wrote');
        if (p.outcome === 'paid') {
          const link = state.getByRole('link');
          assert.equal(await link.count(), 1, `${rub(p.kopecks)}: the status links to the receipt`);
          assert.match(plain(await link.innerText()), /^Платеж успешно выполнен/);
          assert.equal(await link.getAttribute('href'), `/receipt.html?id=${encodeURIComponent(id)}`);
        } else {
          await textContains(state, 'Банк отклонил оплату');
          assert.equal(await state.getByRole('link').count(), 0, 'no receipt for a declined card');
        }
      }
      // The API's rows and the page agree on ids and order.
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))), api.payments.map((/** @type {any} */ p) => p.id));
      await noSeriousAxe(page, 'payments.html with payments');
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'payments-1280.png'), fullPage: true });

      // A range that ends yesterday hides today's rows and says so.
      await from.fill(addDays(today, -30));
      await to.fill(addDays(today, -1));
      await page.getByRole('button', { name: 'Обновить' }).click();
      await eventually(() => rows.count(), (n) => n === 0, 'no rows for a range before today');
      await textContains(page.locator('#payments-empty'), 'За выбранный период платежей нет.');
      assert.equal(await page.locator('#payments-empty').isVisible(), true);
      await textContains(page.locator('#payments-status'), `с ${dotted(addDays(today, -30))} по ${dotted(addDays(today, -1))}`);
      assert.match(page.url(), new RegExp(`\\?from=${addDays(today, -30)}&to=${addDays(today, -1)}$`), 'the range is kept in the address');
      await noSeriousAxe(page, 'payments.html with an empty range');

      // «Обновить» with a range up to today brings them back.
      await to.fill(today);
      await page.getByRole('button', { name: 'Обновить' }).click();
      await eventually(() => rows.count(), (n) => n === 4, 'the four rows again');
      assert.equal(await page.locator('#payments-empty').isVisible(), false);

      // «С» after «По»: the server's word at the field, nothing listed.
      await from.fill(today);
      await to.fill(addDays(today, -1));
      await page.getByRole('button', { name: 'Обновить' }).click();
      await textContains(page.locator('#from-error'), 'позже');
      assert.equal(await from.getAttribute('aria-invalid'), 'true');
      assert.match((await from.getAttribute('aria-describedby')) ?? '', /from-error/);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'from', 'the focus goes to the field');
      assert.equal(await page.locator('#payments').isVisible(), false, 'no stale list under a wrong range');
      await textContains(page.locator('#payments-status'), 'Проверьте даты');
      await noSeriousAxe(page, 'payments.html with a field error');
      // Correcting the date clears the error.
      await from.fill(addDays(today, -7));
      await to.fill(today);
      assert.equal(await from.getAttribute('aria-invalid'), null);
      await page.getByRole('button', { name: 'Обновить' }).click();
      await eventually(() => rows.count(), (n) => n === 4, 'the four rows in the last week');

      // A date left empty is named before anything is sent.
      await to.fill('');
      await page.getByRole('button', { name: 'Обновить' }).click();
      await textContains(page.locator('#to-error'), 'Укажите дату «По»');

      // The server fails: a clear message, not an empty list.
      await to.fill(today);
      await page.route(/\/api\/payments\?/, (route) =>
        route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'internal', message: 'Произошла ошибка. Мы уже разбираемся; попробуйте позже.' }) }),
      );
      await page.getByRole('button', { name: 'Обновить' }).click();
      await textContains(page.locator('#payments-status'), 'Не удалось загрузить платежи. Произошла ошибка.');
      assert.match((await page.locator('#payments-status').getAttribute('class')) ?? '', /status--error/);
      assert.equal(await page.locator('#payments-table').isVisible(), false);
      await page.unroute(/\/api\/payments\?/);
      // While loading, the status line says so.
      await page.route(/\/api\/payments\?/, async (route) => {
        await new Promise((r) => setTimeout(r, 700));
        await route.continue();
      });
      const answered = page.waitForResponse(/\/api\/payments\?/);
      await page.getByRole('button', { name: 'Обновить' }).click();
      await textContains(page.locator('#payments-status'), 'Загружаем платежи…');
      assert.equal(await page.locator('#range-form').getAttribute('aria-busy'), 'true', 'busy while loading');
      await answered;
      await textContains(page.locator('#payments-status'), `Показаны платежи с ${dotted(addDays(today, -7))} по ${dotted(today)}: 4.`);
      assert.equal(await page.locator('#payments-table').isVisible(), true, 'the list is back after the failure');
      await page.unroute(/\/api\/payments\?/);

      // Keyboard: «С», «По», «Обновить» in order after the header.
      await page.locator('h1').click();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'from');

      // 360 px: rows stack, nothing scrolls sideways.
      const small = await phone.newPage();
      await logInAt(small, server.url, PAYER, '/payments.html');
      await eventually(() => small.locator('#payments-table tbody tr').count(), (n) => n === 4, 'four rows at 360 px');
      await noHorizontalScroll(small);
      await noSeriousAxe(small, 'payments.html at 360 px');
      const display = await small.locator('#payments-table tbody tr').first().evaluate((e) => getComputedStyle(e).display);
      assert.equal(display, 'block', 'rows stack on a phone');
      await small.screenshot({ path: join(SCREENSHOTS, 'payments-360.png'), fullPage: true });

      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
      await phone.close();
    }
  });
});

describe('«Платежи»: rows this server cannot make on demand', () => {
  test('readings without payment (day/night, no sum), a refund, a payment waiting for the bank: as the API describes them', { timeout: TIMEOUT }, async () => {
    const ctx = await newContext();
    try {
      const { page, errors } = await watchedPage(ctx);
      const today = moscowToday();
      // GET /api/payments answered in the browser: a refund needs the bank's refund procedure
      // (B10), which the portal does not start yet.
      const fake = {
        from: threeMonthsBack(today),
        to: today,
        payments: [
          { id: 'r1', created_at: `${today}T09:00:00Z`, paid_at: null, amount: 0, amount_text: '0,00 ₽', status: 'readings_only', status_label: 'передача показаний без оплаты', readings: { day: 23480, night: 10250 }, refunded: 0, refunded_text: '0,00 ₽', date_text: dotted(today), time_text: '12:00', receipt: false },
          { id: 'p2', created_at: `${today}T08:00:00Z`, paid_at: `${today}T08:01:00Z`, amount: 150000, amount_text: '1 500,00 ₽', status: 'refunded', status_label: 'Платеж возвращен', readings: { day: 23470, night: 10240 }, refunded: 5000, refunded_text: '50,00 ₽', date_text: dotted(today), time_text: '11:01', receipt: true },
          { id: 'p3', created_at: `${today}T07:00:00Z`, paid_at: null, amount: 10000, amount_text: '100,00 ₽', status: 'registered', status_label: 'Ожидает оплаты', readings: null, refunded: 0, refunded_text: '0,00 ₽', date_text: dotted(today), time_text: '10:00', receipt: false },
        ],
      };
      await page.route(/\/api\/payments(\?|$)/, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(fake) }));
      await logInAt(page, server.url, OTHER, '/payments.html');
      const rows = page.locator('#payments-table tbody tr');
      await eventually(() => rows.count(), (n) => n === 3, 'three rows');
      const cells = async (/** @type {number} */ i) => (await rows.nth(i).locator('th, td').allInnerTexts()).map(plain);

      const [when0, sum0, readings0, state0] = await cells(0);
      assert.equal(when0, `${dotted(today)} 12:00`);
      assert.doesNotMatch(sum0, /[\d₽]/, `readings alone: no sum, «${sum0}»`);
      assert.equal(readings0, 'день 23480 / ночь 10250');
      assert.equal(state0, 'передача показаний без оплаты');
      assert.equal(await rows.nth(0).getByRole('link').count(), 0);

      const [, sum1, readings1, state1] = await cells(1);
      assert.match(sum1, /^1 500,00 ₽ возвращено 50,00 ₽$/);
      assert.equal(readings1, 'день 23470 / ночь 10240');
      assert.match(state1, /^Платеж возвращен/);
      assert.equal(await rows.nth(1).getByRole('link').getAttribute('href'), '/receipt.html?id=p2', 'a refunded payment keeps its receipt');

      const [, sum2, readings2, state2] = await cells(2);
      assert.equal(sum2, '100,00 ₽');
      assert.doesNotMatch(readings2, /\d/, 'no readings sent');
      assert.equal(state2, 'Ожидает оплаты');
      assert.equal(await rows.nth(2).getByRole('link').count(), 0, 'no receipt before the bank says paid');
      await noSeriousAxe(page, 'payments.html with readings alone, a refund and a pending payment');
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });
});

describe('the receipt (P4)', () => {
  /** @type {string} */
  let receiptUrl = '';
  /** @type {string} */
  let declinedId = '';

  test('from «Платежи»: company, date, time, amount, payment id, readings, account, address, status; print; PDF; axe; 360 px', { timeout: TIMEOUT }, async () => {
    const ctx = await newContext();
    const phone = await newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    try {
      const { page, errors } = await watchedPage(ctx);
      await logInAt(page, server.url, PAYER, '/payments.html');
      const rows = page.locator('#payments-table tbody tr');
      await eventually(() => rows.count(), (n) => n === 4, 'four rows');
      // The last card payment: 50,00 ₽ with the reading 12360.
      const row = rows.filter({ has: page.locator('td[data-label="Сумма"]', { hasText: '50,00' }) }).filter({ hasNotText: '100,50' });
      assert.equal(await row.count(), 1);
      const id = (await row.getAttribute('data-id')) ?? '';
      declinedId = (await rows.filter({ hasText: 'Банк отклонил оплату' }).getAttribute('data-id')) ?? '';
      assert.ok(id && declinedId && id !== declinedId);
      const when = plain(await row.locator('th').innerText());
      const [date, time] = when.split(' ');
      const me = await page.evaluate(async () => (await fetch('/api/me')).json());
      await row.getByRole('link', { name: /Платеж успешно выполнен/ }).click();
      await page.waitForURL((url) => url.pathname === '/receipt.html');
      receiptUrl = page.url();
      assert.equal(new URL(receiptUrl).searchParams.get('id'), id);
      const receipt = page.locator('#receipt');
      await receipt.waitFor();
      assert.equal(plain(await receipt.getByRole('heading', { level: 1 }).innerText()), 'Квитанция об оплате');
      await textContains(receipt.locator('.receipt__company'), company.name);
      /** @param {string} key */
      const factOf = async (key) => plain(await receipt.locator(`[data-fact="${key}"] dd`).innerText());
      /** @param {string} key */
      const termOf = async (key) => plain(await receipt.locator(`[data-fact="${key}"] dt`).innerText());
      assert.equal(await factOf('date'), date);
      assert.equal(await termOf('date'), 'Дата');
      assert.equal(await factOf('time'), time);
      assert.match(await factOf('time'), /^\d{2}:\d{2}$/);
      assert.equal(await factOf('amount'), rub(5000));
      assert.equal(await termOf('amount'), 'Сумма');
      assert.equal(await factOf('id'), id);
      assert.equal(await termOf('id'), 'Номер платежа');
      assert.equal(await factOf('readings'), '12360');
      assert.equal(await factOf('account'), PAYER.account);
      assert.equal(await termOf('account'), 'Лицевой счёт');
      assert.equal(await factOf('address'), plain(me.address));
      assert.equal(await factOf('status'), 'Платеж успешно выполнен');
      assert.match(await page.title(), new RegExp(`^Квитанция об оплате от ${date.replace(/\./g, '\\.')}`));
      await noSeriousAxe(page, 'receipt.html');
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'receipt-1280.png'), fullPage: true });

      // «Распечатать» prints; the print stylesheet shows the receipt alone.
      await page.evaluate(() => {
        /** @type {any} */ (window).printed = 0;
        window.print = () => { /** @type {any} */ (window).printed += 1; };
      });
      await page.getByRole('button', { name: 'Распечатать' }).click();
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).printed), 1);
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('header').isVisible(), false, 'no header in print');
      assert.equal(await page.locator('nav').isVisible(), false, 'no navigation in print');
      assert.equal(await page.getByRole('button', { name: 'Распечатать' }).isVisible(), false, 'no buttons in print');
      assert.equal(await page.getByRole('link', { name: 'Скачать PDF' }).isVisible(), false);
      assert.equal(await page.locator('footer').isVisible(), false);
      assert.equal(await page.locator('#back-to-payments').isVisible(), false);
      assert.equal(await receipt.isVisible(), true);
      assert.equal(await receipt.locator('[data-fact="amount"]').isVisible(), true);
      await page.emulateMedia({ media: 'screen' });

      // «Скачать PDF»: the same receipt as a PDF, inline.
      const pdf = page.getByRole('link', { name: 'Скачать PDF' });
      const href = (await pdf.getAttribute('href')) ?? '';
      assert.notEqual(href, '#');
      const answer = await page.evaluate(async (url) => {
        const r = await fetch(url);
        const bytes = new Uint8Array(await r.arrayBuffer());
        return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), head: String.fromCharCode(...bytes.slice(0, 5)), size: bytes.length };
      }, href);
      assert.equal(answer.status, 200, JSON.stringify(answer));
      assert.match(answer.type ?? '', /^application\/pdf/);
      assert.equal(answer.head, '%PDF-');
      assert.match(answer.disposition ?? '', new RegExp(`^inline; filename="receipt-${id}\\.pdf"$`));
      assert.ok(answer.size > 500, `a real document: ${answer.size} bytes`);

      // Back to «Платежи», the same range.
      await page.getByRole('link', { name: 'Платежи' }).first().click();
      await page.waitForURL((url) => url.pathname === '/payments.html');
      await eventually(() => rows.count(), (n) => n === 4, 'the list again');

      // A declined payment has no receipt; nor has an id that does not exist.
      for (const bad of [declinedId, 'no-such-payment', '']) {
        await page.goto(at(`/receipt.html?id=${encodeURIComponent(bad)}`));
        await page.locator('#receipt-missing').waitFor();
        await textContains(page.locator('#receipt-missing'), 'Квитанция не найдена');
        assert.equal(await receipt.isVisible(), false, `no receipt for «${bad}»`);
      }

      // 360 px.
      const small = await phone.newPage();
      await logInAt(small, server.url, PAYER, '/payments.html');
      await small.goto(receiptUrl);
      await small.locator('#receipt').waitFor();
      await noHorizontalScroll(small);
      await noSeriousAxe(small, 'receipt.html at 360 px');
      await small.screenshot({ path: join(SCREENSHOTS, 'receipt-360.png'), fullPage: true });
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
      await phone.close();
    }
  });

  test('another customer (180211112) opening the first one\'s receipt: «Квитанция не найдена», nothing of it shown', { timeout: TIMEOUT }, async () => {
    assert.ok(receiptUrl, 'the receipt test ran first');
    const ctx = await newContext();
    try {
      const { page, errors } = await watchedPage(ctx);
      await logInAt(page, server.url, OTHER, '/payments.html');
      await page.goto(receiptUrl);
      await page.locator('#receipt-missing').waitFor();
      await textContains(page.locator('#receipt-missing'), 'Квитанция не найдена');
      await textContains(page.locator('#receipt-missing'), 'Квитанция по этой ссылке не найдена');
      assert.equal(await page.locator('#receipt').isVisible(), false);
      const text = plain(await page.locator('body').innerText());
      assert.ok(!text.includes(PAYER.account), 'not the other account number');
      assert.ok(!text.includes('Ленина'), 'not the other address');
      const id = new URL(receiptUrl).searchParams.get('id') ?? '';
      const api = await page.evaluate(async (i) => {
        const r = await fetch(`/api/payments/receipt?id=${encodeURIComponent(i)}`);
        const pdf = await fetch(`/api/payments/receipt.pdf?id=${encodeURIComponent(i)}`);
        return { status: r.status, body: await r.json(), pdf: pdf.status };
      }, id);
      assert.equal(api.status, 404);
      assert.equal(api.body.error ?? api.body.code, 'not_found');
      assert.equal(api.pdf, 404, 'nor its PDF');
      await noSeriousAxe(page, 'receipt.html not found');
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });
});
