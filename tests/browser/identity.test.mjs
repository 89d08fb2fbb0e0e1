// Registration, activation, login, «Выход», «Забыли пароль?» and «Настройки» in a real browser
// against the local server (R1–R8, S1–S4): the guide's four registration mistakes, the mailed
// links read from the server's outbox, the session cookie refused after «Выход», the login page
// at 360 px and by keyboard only, and axe-core on every page of the flow.
//
// One server (one data folder) for the file. An account registers once per server, so each
// test has its own demo account:
//   180211111  the full flow: register with mistakes, activate, logout, recover the password
//   180211112  settings: delivery and notices survive a reload, password, e-mail change
//   180211113  login: not activated → new mail, 360 px phone, keyboard only
//   180211114  axe-core on the logged-in pages
//   180211115  never registered: too many login attempts
//
// Run: npm test (from tests/browser).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callApi, formatViolations, launchBrowser, outboxFiles, runAxe, startServer, waitForLink, eventually } from './harness.mjs';

const TIMEOUT = 60_000;

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {{name: string, short_name: string, support_phone: string, support_email: string}} */
let company;

/** @param {string} path */
const at = (path) => new URL(path, server.url).href;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const reply = await callApi(server.url, 'GET', '/api/company');
  assert.equal(reply.status, 200, `GET /api/company: ${JSON.stringify(reply.body)}`);
  company = reply.body;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** @param {import('playwright-core').BrowserContextOptions} [options] */
const newContext = (options = {}) => browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 }, ...options });

/**
 * Opens `path` in `ctx` and records script errors and CSP reports (an HTTP error of the API,
 * e.g. 401 from /api/me for a visitor, is an answer, not a script error).
 * @param {import('playwright-core').BrowserContext} ctx @param {string} path
 */
async function open(ctx, path) {
  const page = await ctx.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && m.location().url.includes('/api/')) return;
    errors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  const response = await page.goto(at(path), { waitUntil: 'load' });
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), 200, `${path} status`);
  return { page, errors };
}


/** Waits until the element's text contains `part`. @param {import('playwright-core').Locator} locator @param {string} part */
const textContains = (locator, part) =>
  eventually(async () => ((await locator.count()) ? ((await locator.first().textContent()) ?? '').replace(/\s+/g, ' ') : '(no element)'), (t) => t.includes(part), `${locator} should contain «${part}»`);

/** @param {import('playwright-core').Page} page */
const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '');

/** Presses Tab until the element with `id` has the focus (at most 20 times). @param {import('playwright-core').Page} page @param {string} id */
async function tabTo(page, id) {
  for (let i = 0; i < 20; i++) {
    if ((await focusedId(page)) === id) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached #${id}; focus is on #${await focusedId(page)}`);
}

/**
 * Registers through the API, as the page would.
 * @param {{account: string, address: string, email: string, password: string}} who
 */
async function registerViaApi(who) {
  const reply = await callApi(server.url, 'POST', '/api/register', {
    account: who.account,
    password: who.password,
    password_confirm: who.password,
    email: who.email,
    address: who.address,
    consent: true,
  });
  assert.equal(reply.status, 201, `POST /api/register ${who.account}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.account, who.account);
  return reply.body;
}

/** The token of a mailed link. @param {string} link */
const tokenOf = (link) => new URL(link).hash.replace(/^#token=/, '');

/** Layout checks for a phone: no horizontal scroll, every visible button at least 44×44 px. @param {import('playwright-core').Page} page */
async function phoneLayout(page) {
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
  const small = await page.locator('a.button, button, input[type="text"], input[type="password"], input[type="email"]').evaluateAll((els) =>
    els
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => ({ what: `${e.tagName.toLowerCase()}#${e.id} ${(e.textContent ?? '').trim()}`, height: e.getBoundingClientRect().height, width: e.getBoundingClientRect().width, font: parseFloat(getComputedStyle(e).fontSize) }))
      .filter((b) => b.height < 44 || b.width < 44 || b.font < 16),
  );
  assert.deepEqual(small, [], 'controls smaller than 44×44 px or with text under 16 px');
}

describe('registration, activation, «Выход» and «Забыли пароль?» (180211111)', () => {
  test('the guide\'s four mistakes, a wrong flat, then the whole way to a new password', { timeout: 120_000 }, async () => {
    const ctx = await newContext();
    try {
      const { page, errors } = await open(ctx, '/register.html');
      const account = page.getByLabel('Номер лицевого счёта', { exact: true });
      const password = page.getByLabel('Пароль', { exact: true });
      const confirmation = page.getByLabel('Подтверждение пароля', { exact: true });
      const email = page.getByLabel('Электронная почта', { exact: true });
      const address = page.getByLabel('Адрес дома или квартиры', { exact: true });
      const consent = page.getByLabel('Я даю согласие на обработку персональных данных');
      const submit = page.getByRole('button', { name: 'Зарегистрироваться', exact: true });

      // The order of the fields, as R1 and the brief list them.
      const order = await page.locator('#register-form input:not([type="checkbox"]), #register-form input#consent').evaluateAll((els) => els.map((e) => e.id));
      assert.deepEqual(order, ['account', 'password', 'password_confirm', 'email', 'address', 'consent']);
      assert.equal(await account.getAttribute('inputmode'), 'numeric');
      assert.equal(await account.getAttribute('autocomplete'), 'off');
      assert.equal(await password.getAttribute('autocomplete'), 'new-password');
      assert.equal(await email.getAttribute('type'), 'email');
      assert.equal(await page.getByRole('link', { name: 'Текст согласия' }).getAttribute('href'), '/consent.html');

      // Mistake 1: the number with its brackets is understood, and the page says how.
      await account.pressSequentially('(180)211111');
      await textContains(page.locator('#account-note'), 'Номер будет принят как 180211111');
      await textContains(page.locator('#account-note'), 'без скобок');
      assert.equal(await account.getAttribute('aria-invalid'), null);
      assert.match((await account.getAttribute('aria-describedby')) ?? '', /account-note/);

      // Mistake 2: a number pasted from Word with a no-break space and a zero-width space.
      await account.fill('180\u00a0211\u200b111');
      await textContains(page.locator('#account-note'), 'Номер будет принят как 180211111');
      await account.fill('');
      await account.evaluate((el, value) => {
        const field = /** @type {HTMLInputElement} */ (el);
        field.value = value;
        field.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste', data: value }));
      }, '\u200b180\u00a0211\u00a0111\u2060');
      assert.equal(await account.inputValue(), '180211111', 'a paste loses its invisible characters and spaces at once');
      await textContains(page.locator('#account-note'), 'Номер будет принят как 180211111 (убраны невидимые символы, пробелы)');

      // A Cyrillic О instead of the zero: named, with the digit and the place.
      await account.fill('18О211111');
      await textContains(page.locator('#account-error'), 'На месте цифры 0 стоит русская буква «О» (3-й знак номера)');
      assert.equal(await account.getAttribute('aria-invalid'), 'true');
      assert.match((await account.getAttribute('aria-describedby')) ?? '', /account-error/);

      // Mistake 3: the confirmation differs, said at the confirmation field.
      await password.fill('Kaluga-2025!');
      await textContains(page.locator('#password-strength'), 'Надёжность пароля: надёжный');
      await confirmation.fill('Kaluga-2025?');
      await textContains(page.locator('#password_confirm-error'), 'Пароль и подтверждение не совпадают');
      assert.equal(await confirmation.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('#password-error').count(), 0, 'the password itself is fine');

      // Mistake 4: lst.ru for list.ru, fixed with one press.
      await email.fill('sidor_ivanov@lst.ru');
      await email.blur();
      await textContains(page.locator('#email-suggest'), 'Возможно, вы имели в виду sidor_ivanov@list.ru?');
      await page.getByRole('button', { name: 'Исправить на list.ru' }).click();
      assert.equal(await email.inputValue(), 'sidor_ivanov@list.ru');
      assert.ok(await page.locator('#email-suggest').isHidden(), 'the suggestion goes once used');

      // Without consent the page refuses before sending, focuses the box and shows support.
      await account.fill('(180)211111');
      await confirmation.fill('Kaluga-2025!');
      await eventually(() => confirmation.getAttribute('aria-invalid'), (v) => v === null, 'the confirmation error clears when it matches');
      await address.fill('г. Калуга, ул. Ленина, д. 12, кв. 6');
      await submit.click();
      await textContains(page.locator('#consent-error'), 'Без согласия');
      assert.equal(await focusedId(page), 'consent', 'the first invalid field has the focus');
      assert.ok(await page.locator('#register-support').isVisible(), 'support contacts after a failure');

      // A wrong flat: the server names the part that differs; the support contacts show (R5).
      await consent.check();
      await submit.click();
      await textContains(page.locator('#address-error'), 'квартир');
      assert.equal(await address.getAttribute('aria-invalid'), 'true');
      assert.equal(await focusedId(page), 'address');
      const support = page.locator('#register-support');
      assert.ok(await support.isVisible());
      await textContains(support, company.support_phone);
      await textContains(support, company.support_email);
      await textContains(support, 'Не получается зарегистрироваться?');

      // Properly now, the address typed as people type it.
      await address.fill('Калуга, улица Ленина 12 кв 5');
      const beforeRegister = outboxFiles(server.dataDir);
      await submit.click();
      const done = page.locator('#register-done');
      await textContains(done, 'Регистрация почти завершена');
      await textContains(done, 'Мы отправили письмо на sidor_ivanov@list.ru. Откройте его и перейдите по ссылке, чтобы активировать личный кабинет.');
      assert.ok(await page.locator('#register-form').isHidden(), 'the form gives way to the message');
      await waitForLink(server.dataDir, { to: 'sidor_ivanov@list.ru', page: 'activate.html', before: beforeRegister });

      // «Отправить письмо ещё раз» mails a new link.
      const beforeResend = outboxFiles(server.dataDir);
      await page.getByRole('button', { name: 'Отправить письмо ещё раз' }).click();
      await textContains(page.locator('#resend-status'), 'Письмо отправлено ещё раз');
      const { link } = await waitForLink(server.dataDir, { to: 'sidor_ivanov@list.ru', page: 'activate.html', before: beforeResend });
      assert.ok(link.startsWith(at('/activate.html#token=')), link);

      // The link: nothing happens until the button is pressed; the token leaves the address bar.
      await page.goto(link);
      assert.equal(new URL(page.url()).hash, '', 'the token is removed from the address bar');
      const activate = page.getByRole('button', { name: 'Активировать личный кабинет' });
      assert.ok(await activate.isVisible());
      assert.equal((await callApi(server.url, 'POST', '/api/login', { account: '180211111', password: 'Kaluga-2025!' })).status, 403, 'not active before the press');
      await activate.click();
      await page.waitForURL(at('/'));
      await textContains(page.locator('#me-account'), '180211111');
      await textContains(page.locator('#me-address'), 'г. Калуга, ул. Ленина, д. 12, кв. 5');
      await textContains(page.locator('#me-email'), 'sidor_ivanov@list.ru');

      // «Выход» is a real button at the top right; «Настройки» next to it.
      const logout = page.locator('header').getByRole('button', { name: 'Выход' });
      assert.ok(await logout.isVisible());
      assert.equal(await logout.evaluate((e) => e.tagName), 'BUTTON');
      const box = await logout.boundingBox();
      assert.ok(box && box.x + box.width > 1280 - 320 && box.y < 100, `«Выход» at the top right: ${JSON.stringify(box)}`);
      assert.equal(await page.locator('header').getByRole('link', { name: 'Настройки' }).getAttribute('href'), '/settings.html');
      // «Счёт» in the header and on the main page; «Платежи» in the header.
      assert.deepEqual(await page.getByRole('link', { name: 'Счёт', exact: true }).evaluateAll((els) => els.map((e) => e.getAttribute('href'))), ['/bill.html', '/bill.html']);
      assert.equal(await page.locator('header').getByRole('link', { name: 'Платежи' }).getAttribute('href'), '/payments.html');

      // «Выход» ends the session on the server: the old cookie is refused afterwards (R7).
      const saved = (await ctx.cookies()).find((c) => c.name === '__Host-svet_session');
      assert.ok(saved, 'the session cookie is set');
      assert.ok(saved.httpOnly && saved.secure, `HttpOnly and Secure: ${JSON.stringify(saved)}`);
      await logout.click();
      await page.locator('header').getByRole('link', { name: 'Войти в систему' }).waitFor();
      assert.ok(await page.locator('#member').isHidden());
      assert.equal((await ctx.cookies()).find((c) => c.name === '__Host-svet_session'), undefined, 'the cookie is cleared');
      await ctx.addCookies([saved]);
      const replayed = await page.evaluate(() => fetch('/api/me').then((r) => r.status));
      assert.equal(replayed, 401, 'the old session cookie is refused after «Выход»');
      await ctx.clearCookies();

      // «Забыли пароль?» on the main page → a single-use link → a new password (R8).
      await page.goto(at('/'));
      await page.getByRole('link', { name: 'Забыли пароль?' }).click();
      await page.waitForURL(at('/forgot.html'));
      await page.getByLabel('Номер лицевого счёта', { exact: true }).fill('180211111');
      await page.getByLabel('Электронная почта (указанная при регистрации)').fill('sidor_ivanov@list.ru');
      const beforeForgot = outboxFiles(server.dataDir);
      await page.getByRole('button', { name: 'Восстановить' }).click();
      await textContains(page.locator('#forgot-done'), 'Если номер счёта и адрес почты верны, мы отправили письмо со ссылкой для смены пароля. Ссылка действует 1 час.');
      const reset = await waitForLink(server.dataDir, { to: 'sidor_ivanov@list.ru', page: 'reset.html', before: beforeForgot });

      await page.goto(reset.link);
      assert.equal(new URL(page.url()).hash, '', 'the token is removed from the address bar');
      await page.getByLabel('Новый пароль', { exact: true }).fill('Novyi-Parol-2025');
      await textContains(page.locator('#password-strength'), 'Надёжность пароля:');
      await page.getByLabel('Подтверждение пароля', { exact: true }).fill('Novyi-Parol-2025');
      await page.getByRole('button', { name: 'Сохранить пароль' }).click();
      await textContains(page.locator('#reset-done'), 'Пароль изменён. Все прежние входы завершены.');
      await page.locator('#reset-done').getByRole('link', { name: 'Войти в систему' }).click();
      await page.waitForURL(at('/login.html'));

      // The old password fails, the new one works.
      await page.getByLabel('Номер лицевого счёта', { exact: true }).fill('180211111');
      await page.getByLabel('Пароль', { exact: true }).fill('Kaluga-2025!');
      await page.getByRole('button', { name: 'Войти в систему' }).click();
      await textContains(page.locator('#login-status'), 'Неверный номер лицевого счёта или пароль');
      assert.equal(page.url(), at('/login.html'));
      await page.getByLabel('Пароль', { exact: true }).fill('Novyi-Parol-2025');
      await page.getByRole('button', { name: 'Войти в систему' }).click();
      await page.waitForURL(at('/'));
      await textContains(page.locator('#me-account'), '180211111');

      // The reset link worked once.
      assert.equal((await callApi(server.url, 'POST', '/api/password/reset', { token: tokenOf(reset.link), password: 'Another-Pass-2025', password_confirm: 'Another-Pass-2025' })).status, 410);
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });
});

describe('«Настройки» (180211112)', () => {
  test('delivery PNG and notices off survive a reload; wrong current password; e-mail change by link', { timeout: TIMEOUT }, async () => {
    const before = outboxFiles(server.dataDir);
    await registerViaApi({ account: '180211112', address: 'г. Калуга, ул. Кирова, д. 3, кв. 41', email: 'petrov@mail.ru', password: 'Kirova-3-41!' });
    const { link } = await waitForLink(server.dataDir, { to: 'petrov@mail.ru', page: 'activate.html', before });
    const ctx = await newContext();
    try {
      const { page, errors } = await open(ctx, new URL(link).pathname + new URL(link).hash);
      await page.getByRole('button', { name: 'Активировать личный кабинет' }).click();
      await page.waitForURL(at('/'));
      await textContains(page.locator('#me-account'), '180211112');

      await page.locator('header').getByRole('link', { name: 'Настройки' }).click();
      await page.waitForURL(at('/settings.html'));
      await page.locator('#settings').waitFor();
      assert.equal(await page.locator('header').getByRole('link', { name: 'Настройки' }).getAttribute('aria-current'), 'page');
      assert.ok(await page.locator('header').getByRole('button', { name: 'Выход' }).isVisible());
      await textContains(page.locator('#email-form'), 'petrov@mail.ru');
      assert.ok(await page.getByLabel('Не присылать').isChecked(), 'no delivery at first');

      await page.getByLabel('PNG').check();
      await page.getByLabel('Присылать письмо, когда в личном кабинете появится новый счёт').uncheck();
      await page.getByRole('button', { name: 'Сохранить', exact: true }).click();
      await textContains(page.locator('#delivery-status'), 'Настройки сохранены.');

      await page.reload();
      await page.locator('#settings').waitFor();
      assert.ok(await page.getByLabel('PNG').isChecked(), 'PNG survives a reload');
      assert.ok(!(await page.getByLabel('Присылать письмо, когда в личном кабинете появится новый счёт').isChecked()), 'notices off survive a reload');
      const stored = await page.evaluate(() => fetch('/api/settings').then((r) => r.json()));
      assert.equal(stored.delivery, 'png');
      assert.equal(stored.notices, false);

      // A wrong current password is said at its field, which gets the focus.
      await page.getByLabel('Текущий пароль').fill('not-my-password');
      await page.getByLabel('Новый пароль', { exact: true }).fill('Kirova-3-41-new');
      await page.getByLabel('Подтверждение нового пароля').fill('Kirova-3-41-new');
      await page.getByRole('button', { name: 'Сменить пароль' }).click();
      await textContains(page.locator('#current_password-error'), 'Текущий пароль введён неверно');
      assert.equal(await focusedId(page), 'current_password');

      // A new address with a domain typo: suggested, fixed, confirmed by the link sent to it.
      const newEmail = page.getByLabel('Новый адрес');
      await newEmail.fill('petrov.new@gmial.com');
      await newEmail.blur();
      await page.getByRole('button', { name: 'Исправить на gmail.com' }).click();
      assert.equal(await newEmail.inputValue(), 'petrov.new@gmail.com');
      const beforeChange = outboxFiles(server.dataDir);
      await page.getByRole('button', { name: 'Сменить адрес' }).click();
      await textContains(page.locator('#email-status'), 'Мы отправили письмо со ссылкой на новый адрес. Адрес сменится, когда вы перейдёте по ссылке.');
      const confirm = await waitForLink(server.dataDir, { to: 'petrov.new@gmail.com', page: 'confirm-email.html', before: beforeChange });
      await page.goto(confirm.link);
      assert.equal(new URL(page.url()).hash, '');
      await page.getByRole('button', { name: 'Подтвердить адрес' }).click();
      await textContains(page.locator('#confirm-done'), 'Адрес электронной почты изменён');
      await page.goto(at('/settings.html'));
      await page.locator('#settings').waitFor();
      await textContains(page.locator('#email-form'), 'petrov.new@gmail.com');
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });

  test('without a session, /settings.html sends the visitor to the login page', { timeout: TIMEOUT }, async () => {
    const ctx = await newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(at('/settings.html'));
      await page.waitForURL(/\/login\.html\?next=%2Fsettings\.html$/);
    } finally {
      await ctx.close();
    }
  });
});

describe('login (180211113)', () => {
  test('at 360 px and by keyboard only: not activated → a new mail → activated → logged in', { timeout: TIMEOUT }, async () => {
    const who = { account: '180211113', address: 'Калужская обл., Дзержинский р-н, д. Галкино, ул. Садовая, д. 7', email: 'galkino@yandex.ru', password: 'Sadovaya-7-Galkino' };
    await registerViaApi(who);
    const ctx = await newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    try {
      const { page, errors } = await open(ctx, '/login.html');
      await phoneLayout(page);
      assert.equal(await page.getByRole('link', { name: 'Забыли пароль?' }).getAttribute('href'), '/forgot.html');
      assert.equal(await page.getByRole('link', { name: 'Зарегистрироваться' }).first().getAttribute('href'), '/register.html');

      await tabTo(page, 'account');
      await page.keyboard.type(who.account);
      await page.keyboard.press('Tab');
      assert.equal(await focusedId(page), 'password');
      await page.keyboard.type(who.password);
      await page.keyboard.press('Enter');

      // Not activated yet: the message and a small form to mail the link again.
      const section = page.locator('#not-activated');
      await textContains(section, 'не активирован');
      await phoneLayout(page);
      await tabTo(page, 'resend-email');
      await page.keyboard.type(who.email);
      const beforeResend = outboxFiles(server.dataDir);
      await page.keyboard.press('Enter');
      await textContains(page.locator('#resend-status'), 'мы отправили на него новое письмо');
      const { link } = await waitForLink(server.dataDir, { to: who.email, page: 'activate.html', before: beforeResend });
      assert.equal((await callApi(server.url, 'POST', '/api/activate', { token: tokenOf(link) })).status, 200);

      // Now the keyboard login goes through to the main page.
      await page.reload();
      await tabTo(page, 'account');
      await page.keyboard.type(who.account);
      await page.keyboard.press('Tab');
      await page.keyboard.type(who.password);
      await page.keyboard.press('Enter');
      await page.waitForURL(at('/'));
      await textContains(page.locator('#me-account'), who.account);
      await phoneLayout(page);
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.close();
    }
  });

  test('too many wrong passwords: the wait is shown (180211115)', { timeout: TIMEOUT }, async () => {
    const ctx = await newContext();
    try {
      const { page } = await open(ctx, '/login.html');
      await page.getByLabel('Номер лицевого счёта', { exact: true }).fill('180211115');
      /** @type {number[]} */
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        await page.getByLabel('Пароль', { exact: true }).fill(`wrong-password-${i}`);
        const [reply] = await Promise.all([
          page.waitForResponse((r) => r.url() === at('/api/login')),
          page.getByRole('button', { name: 'Войти в систему' }).click(),
        ]);
        statuses.push(reply.status());
        if (reply.status() === 429) break;
      }
      assert.equal(statuses.at(-1), 429, `statuses: ${statuses.join(', ')}`);
      await textContains(page.locator('#login-status'), 'Слишком много попыток. Попробуйте через');
    } finally {
      await ctx.close();
    }
  });
});

describe('axe-core: no serious or critical WCAG 2.1 A/AA violations', () => {
  /** @type {import('playwright-core').BrowserContext} */
  let axeContext;
  before(async () => {
    axeContext = await newContext({ bypassCSP: true });
  });
  after(async () => {
    await axeContext?.close();
  });

  /**
   * @param {import('playwright-core').Page} page @param {string} what
   * @param {import('node:test').TestContext} t
   */
  async function axe(page, what, t) {
    await page.waitForFunction(() => document.querySelector('a[data-company="support_phone"]')?.getAttribute('href')?.startsWith('tel:'), null, { timeout: 5_000 }).catch(() => {});
    const all = await runAxe(page, { impacts: null });
    const minor = all.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
    if (minor.length > 0) t.diagnostic(`${what} moderate/minor (not failing):\n${formatViolations(minor)}`);
    const serious = all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.equal(serious.length, 0, `axe on ${what}:\n${formatViolations(serious)}`);
  }

  const pages = [
    ['/register.html', '#register-form'],
    ['/login.html', '#login-form'],
    ['/forgot.html', '#forgot-form'],
    ['/reset.html#token=not-a-real-token', '#reset-form'],
    ['/activate.html#token=not-a-real-token', '#activate'],
    ['/activate.html', '#resend-form'],
    ['/confirm-email.html#token=not-a-real-token', '#confirm'],
    ['/consent.html', '#consent-version'],
  ];
  for (const [path, ready] of pages) {
    test(`axe ${path}`, { timeout: TIMEOUT }, async (t) => {
      const page = await axeContext.newPage();
      await page.goto(at(path));
      await page.locator(ready).waitFor();
      await axe(page, path, t);
      await page.close();
    });
  }

  test('axe /register.html with every field in error', { timeout: TIMEOUT }, async (t) => {
    const page = await axeContext.newPage();
    await page.goto(at('/register.html'));
    await page.getByLabel('Номер лицевого счёта', { exact: true }).fill('18О211111');
    await page.getByLabel('Электронная почта', { exact: true }).fill('sidor_ivanov@lst.ru');
    await page.getByLabel('Пароль', { exact: true }).fill('Kaluga-2025!');
    await page.getByRole('button', { name: 'Зарегистрироваться', exact: true }).click();
    await page.locator('#register-support').waitFor();
    await page.locator('#email-suggest').waitFor();
    const invalid = await page.locator('input[aria-invalid="true"]').evaluateAll((els) => els.map((e) => e.id));
    assert.deepEqual(invalid, ['account', 'password_confirm', 'address', 'consent'], 'the e-mail only gets a suggestion');
    await axe(page, '/register.html (errors)', t);
    await page.close();
  });

  test('axe on the logged-in main page and «Настройки» (180211114); print hides the header', { timeout: TIMEOUT }, async (t) => {
    const before = outboxFiles(server.dataDir);
    await registerViaApi({ account: '180211114', address: 'г. Калуга, пер. Старичков, д. 2, кв. 17', email: 'starichkov@bk.ru', password: 'Starichkov-2-17' });
    const { link } = await waitForLink(server.dataDir, { to: 'starichkov@bk.ru', page: 'activate.html', before });
    const logged = await newContext({ bypassCSP: true });
    try {
      const page = await logged.newPage();
      await page.goto(link);
      await page.getByRole('button', { name: 'Активировать личный кабинет' }).click();
      await page.waitForURL(at('/'));
      await textContains(page.locator('#me-account'), '180211114');
      await axe(page, '/ (logged in)', t);

      await page.emulateMedia({ media: 'print' });
      assert.ok(await page.locator('header').isHidden(), 'no header on paper');
      assert.ok(await page.locator('#me-account').isVisible(), 'the account on paper');
      await page.emulateMedia({ media: 'screen' });

      await page.goto(at('/settings.html'));
      await page.locator('#settings').waitFor();
      await axe(page, '/settings.html', t);
    } finally {
      await logged.close();
    }
  });
});
