// The main page (web/index.html) in a real browser against the local server: content,
// navigation, the company's contacts from GET /api/company, accessibility (axe-core, WCAG 2.1
// A/AA), the 360 px phone layout, the skip link, the 404 pages, and screenshots for a human.
//
// One server and one browser for the whole file. Run: npm test (from tests/browser).

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SCREENSHOTS, formatViolations, launchBrowser, runAxe, startServer } from './harness.mjs';

const TIMEOUT = 30_000;

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** A context as a visitor gets it: the server's CSP applies. */
/** @type {import('playwright-core').BrowserContext} */
let context;

/** @param {string} path */
const at = (path) => new URL(path, server.url).href;

/** Opens a page in `ctx`, records its script errors and CSP reports, and loads `path`. */
async function open(path, ctx = context) {
  const page = await ctx.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A visitor without a session: GET /api/me answers 401 by design, which Chromium logs.
    if (m.type() === 'error' && /\/api\/me$/.test(m.location().url) && m.text().includes('status of 401')) return;
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  const response = await page.goto(at(path), { waitUntil: 'load' });
  assert.ok(response, `no response for ${path}`);
  return { page, response, errors };
}

/** Waits until company.js has filled the support phone link (it fetches /api/company). */
async function companyFilled(/** @type {import('playwright-core').Page} */ page) {
  await page
    .waitForFunction(() => document.querySelector('a[data-company="support_phone"]')?.getAttribute('href')?.startsWith('tel:'), null, { timeout: 10_000 })
    .catch(async () => {
      const footer = await page.locator('[data-company="support_phone"]').first().evaluate((a) => a.outerHTML).catch(() => '(no element)');
      assert.fail(`company.js did not fill the support phone within 10 s: ${footer}`);
    });
}

/**
 * Gives company.js up to 5 s to fill the page before a layout, accessibility or screenshot
 * check, without failing: the footer test is the one that fails when company.js is broken,
 * so that a broken script does not hide the other findings.
 */
async function settle(/** @type {import('playwright-core').Page} */ page) {
  await page
    .waitForFunction(() => document.querySelector('a[data-company="support_phone"]')?.getAttribute('href')?.startsWith('tel:'), null, { timeout: 5_000 })
    .catch(() => {});
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 800 } });
});

after(async () => {
  await context?.close();
  await browser?.close();
  if (server) {
    await server.stop();
  }
});

describe('main page /', () => {
  test('title, language and one h1 «Личный кабинет»', { timeout: TIMEOUT }, async () => {
    const { page, response } = await open('/');
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
    assert.ok((await page.title()).includes('Личный кабинет'), `title is ${JSON.stringify(await page.title())}`);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    const h1 = page.locator('h1');
    assert.equal(await h1.count(), 1, 'exactly one h1');
    assert.equal((await h1.textContent())?.trim(), 'Личный кабинет');
    assert.ok(await h1.isVisible(), 'the h1 is visible');
    await page.close();
  });

  for (const [name, href] of [['Зарегистрироваться', '/register.html'], ['Войти в систему', '/login.html']]) {
    test(`link «${name}» → ${href} is visible and opens a page with an h1`, { timeout: TIMEOUT }, async () => {
      const { page } = await open('/');
      const links = page.getByRole('link', { name, exact: true });
      const count = await links.count();
      assert.ok(count >= 1, `no link named «${name}»`);
      for (let i = 0; i < count; i++) {
        assert.equal(await links.nth(i).getAttribute('href'), href, `link «${name}» #${i + 1}`);
        assert.ok(await links.nth(i).isVisible(), `link «${name}» #${i + 1} is visible`);
      }
      const target = at(href);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === target && r.request().isNavigationRequest()),
        page.locator('main').getByRole('link', { name, exact: true }).click(),
      ]);
      await page.waitForURL(target);
      assert.equal(response.status(), 200, `${href} status`);
      const h1 = page.locator('h1');
      assert.equal(await h1.count(), 1, `${href} has one h1`);
      assert.ok(await h1.isVisible(), `${href}: the h1 is visible`);
      assert.notEqual((await h1.textContent())?.trim() ?? '', '', `${href}: the h1 is empty`);
      assert.equal(await page.getAttribute('html', 'lang'), 'ru', `${href}: lang`);
      await page.close();
    });
  }

  test('the footer shows the support phone and e-mail from GET /api/company', { timeout: TIMEOUT }, async () => {
    const reply = await fetch(at('/api/company'), { headers: { Accept: 'application/json' } });
    assert.equal(reply.status, 200, 'GET /api/company');
    const company = await reply.json();
    for (const field of ['name', 'support_phone', 'support_email']) {
      assert.equal(typeof company[field], 'string', `/api/company.${field}`);
      assert.notEqual(company[field].trim(), '', `/api/company.${field} is empty`);
    }

    const { page, errors } = await open('/');
    await companyFilled(page);
    const footer = page.locator('footer');
    const text = (await footer.innerText()).replace(/\s+/g, ' ');
    assert.ok(text.includes(company.support_phone), `footer has the phone ${company.support_phone}: ${text}`);
    assert.ok(text.includes(company.support_email), `footer has the e-mail ${company.support_email}: ${text}`);
    assert.ok(text.includes(company.name), `footer has the company name ${company.name}: ${text}`);

    const phone = footer.locator('a[data-company="support_phone"]');
    const telHref = (await phone.getAttribute('href')) ?? '';
    // A phone dials a Russian number with its country code: (4842) 701-838 → +74842701838.
    assert.equal(telHref, `tel:+7${company.support_phone.replace(/\D/g, '').slice(-10)}`, 'the tel: href dials the support phone');
    assert.equal((await phone.textContent())?.trim(), company.support_phone);

    const mail = footer.locator('a[data-company="support_email"]');
    assert.equal(await mail.getAttribute('href'), `mailto:${company.support_email}`);
    assert.equal((await mail.textContent())?.trim(), company.support_email);
    assert.deepEqual(errors, [], 'no script errors or CSP violations');
    await page.close();
  });

  describe('axe-core: no serious or critical WCAG 2.1 A/AA violations', () => {
    /** A context for axe only: its script is inline, which the server's CSP would block. */
    /** @type {import('playwright-core').BrowserContext} */
    let axeContext;
    before(async () => {
      axeContext = await browser.newContext({ bypassCSP: true, locale: 'ru-RU', viewport: { width: 1280, height: 800 } });
    });
    after(async () => {
      await axeContext?.close();
    });

    for (const path of ['/', '/register.html', '/login.html']) {
      test(`axe ${path}`, { timeout: TIMEOUT }, async (t) => {
        const { page, response } = await open(path, axeContext);
        assert.equal(response.status(), 200, `${path} status`);
        await settle(page);
        const all = await runAxe(page, { impacts: null });
        const minor = all.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
        if (minor.length > 0) t.diagnostic(`moderate/minor (not failing):\n${formatViolations(minor)}`);
        const serious = all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.equal(serious.length, 0, `axe on ${path}:\n${formatViolations(serious)}`);
        await page.close();
      });
    }
  });

  test('360×740 phone: no horizontal scroll, buttons at least 44 px tall', { timeout: TIMEOUT }, async () => {
    const phone = await browser.newContext({ locale: 'ru-RU', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    try {
      const { page } = await open('/', phone);
      await settle(page);
      const { scrollWidth, clientWidth, wide } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        // The elements that stick out on the right, to say what to fix.
        wide: [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).replace(/\s+/g, '.') : ''} right=${Math.round(e.getBoundingClientRect().right)}`),
      }));
      assert.equal(clientWidth, 360, 'the layout viewport is 360 px (meta viewport width=device-width)');
      assert.ok(scrollWidth <= 360, `horizontal scroll: scrollWidth ${scrollWidth} > 360; too wide: ${wide.join(', ')}`);

      const buttons = await page.locator('a.button, button, [role="button"], input[type="submit"], input[type="button"]').evaluateAll((els) =>
        els
          .filter((e) => e.getClientRects().length > 0)
          .map((e) => ({ text: (e.textContent ?? '').trim(), height: e.getBoundingClientRect().height, width: e.getBoundingClientRect().width })),
      );
      assert.ok(buttons.length >= 3, `expected the visible buttons (header login, register, login), found ${JSON.stringify(buttons)}`);
      const small = buttons.filter((b) => b.height < 44 || b.width < 44);
      assert.deepEqual(small, [], 'buttons smaller than 44×44 px');
      await page.close();
    } finally {
      await phone.close();
    }
  });

  test('keyboard: the first Tab focuses the skip link, Enter moves to #main', { timeout: TIMEOUT }, async () => {
    const { page } = await open('/');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      const box = e?.getBoundingClientRect();
      return { text: e?.textContent?.trim(), href: e?.getAttribute('href'), top: box?.top, bottom: box?.bottom };
    });
    assert.equal(focused.text, 'Перейти к содержанию', `the first Tab focused ${JSON.stringify(focused)}`);
    assert.equal(focused.href, '#main', 'the skip link points at #main');
    assert.ok((focused.top ?? -1) >= 0 && (focused.bottom ?? 0) > 0, `the focused skip link is on screen: ${JSON.stringify(focused)}`);

    await page.keyboard.press('Enter');
    await page.waitForURL(/#main$/);
    const moved = await page.evaluate(() => {
      const main = document.getElementById('main');
      if (!main) return null;
      const max = document.documentElement.scrollHeight - window.innerHeight;
      return { top: main.getBoundingClientRect().top, scrollY: window.scrollY, max, target: document.querySelector(':target')?.id };
    });
    assert.ok(moved, 'the page has an element with id="main"');
    assert.equal(moved.target, 'main', '#main is the :target');
    assert.ok(Math.abs(moved.top) <= 1 || moved.scrollY >= moved.max - 1, `#main scrolled to the top of the viewport: ${JSON.stringify(moved)}`);

    // The next Tab continues from #main, not from the header.
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => ({
      inMain: !!document.activeElement?.closest('#main'),
      text: document.activeElement?.textContent?.trim(),
    }));
    assert.ok(next.inMain, `after the skip link, Tab should land inside #main, landed on ${JSON.stringify(next.text)}`);
    await page.close();
  });

  test('an unknown page is a Russian 404 page', { timeout: TIMEOUT }, async () => {
    const { page, response } = await open('/no-such-page.html');
    assert.equal(response.status(), 404);
    assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.equal((await page.locator('h1').textContent())?.trim(), 'Страница не найдена');
    const home = page.getByRole('link', { name: /главную/ });
    assert.equal(await home.getAttribute('href'), '/');
    await page.close();
  });

  test('an unknown API path is a JSON 404 {error: "not_found"}', { timeout: TIMEOUT }, async () => {
    const reply = await fetch(at('/api/nope'), { headers: { Accept: 'application/json' } });
    assert.equal(reply.status, 404);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    const body = await reply.json();
    assert.equal(body.error, 'not_found', JSON.stringify(body));
  });

  test('screenshots of / at 360 px and 1280 px', { timeout: TIMEOUT }, async (t) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const [width, height, mobile] of /** @type {const} */ ([[360, 740, true], [1280, 800, false]])) {
      const ctx = await browser.newContext({ locale: 'ru-RU', viewport: { width, height }, isMobile: mobile, hasTouch: mobile });
      try {
        const { page, errors } = await open('/', ctx);
        await settle(page);
        await page.evaluate(() => document.fonts.ready);
        const path = join(SCREENSHOTS, `main-${width}.png`);
        await page.screenshot({ path, fullPage: true });
        const png = readFileSync(path);
        assert.equal(png.subarray(1, 4).toString(), 'PNG', `${path} is a PNG`);
        assert.equal(png.readUInt32BE(16), width, `${path} is ${width} px wide`);
        assert.deepEqual(errors, [], `no script errors at ${width} px`);
        t.diagnostic(`screenshot: ${path} (${width}×${png.readUInt32BE(20)})`);
      } finally {
        await ctx.close();
      }
    }
  });
});
