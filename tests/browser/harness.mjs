// Shared helpers for Svet's browser tests: the local server (`svet serve`), Debian's Chromium
// through playwright-core, and axe-core.
//
//   SVET_BIN   the server binary (default <repo>/target/debug/svet; build it with
//              `cargo build -p svet-local`)
//   CHROMIUM   the Chromium binary (default /usr/bin/chromium; `apt-get install chromium`)
//
// Every failure to start something throws with a message that says what to do: tests must
// fail loudly, never skip.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..');
export const WEB_DIR = join(REPO, 'web');
export const SCREENSHOTS = join(HERE, 'screenshots');

const READY = /Svet is running at (http:\/\/\S+?\/)(?:\s|$)/;
const MAX_LOG = 64 * 1024;

/**
 * Starts `svet serve --port 0` on a fresh, empty data folder and waits for its
 * "Svet is running at http://127.0.0.1:PORT/ (...)" line.
 *
 * @param {{timeoutMs?: number}} [options]
 * @returns {Promise<{url: string, dataDir: string, logs: () => string, stop: () => Promise<void>}>}
 *   url ends with "/"; logs() is the tail of the server's stderr; stop() ends the server and
 *   removes the data folder.
 */
export async function startServer({ timeoutMs = 30_000 } = {}) {
  const bin = process.env.SVET_BIN || join(REPO, 'target', 'debug', 'svet');
  if (!existsSync(bin)) {
    throw new Error(`The Svet server binary is missing: ${bin}\nbuild it first: cargo build -p svet-local (or point SVET_BIN at it)`);
  }
  if (!existsSync(join(WEB_DIR, 'index.html'))) {
    throw new Error(`The front end is missing: ${join(WEB_DIR, 'index.html')}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'svet-browser-'));
  const child = spawn(bin, ['serve', '--port', '0'], {
    // Bills are posted by the tests (svet generate-bills), not by the server's own clock.
    env: { ...process.env, SVET_DATA_DIR: dataDir, SVET_WEB_DIR: WEB_DIR, NO_COLOR: '1', SVET_AUTO_BILLS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that dies without its after() hook must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-MAX_LOG);
  });
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  /** @type {{code: number | null, signal: NodeJS.Signals | null} | null} */
  let exitStatus = null;
  exited.then((status) => { exitStatus = status; });

  const cleanUp = () => {
    process.removeListener('exit', killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const describe = () => `${bin} serve --port 0 (SVET_DATA_DIR=${dataDir})\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  let url;
  try {
    url = await new Promise((resolveUrl, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`The Svet server did not print "Svet is running at ..." within ${timeoutMs / 1000} s:\n${describe()}`));
      }, timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`Cannot run the Svet server: ${e.message}\n${describe()}`));
      });
      child.stdout.on('data', (chunk) => {
        stdout = (stdout + chunk).slice(-MAX_LOG);
        const match = READY.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolveUrl(match[1]);
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        // Give the stderr pipe a moment to drain so the message has the server's reason.
        setTimeout(() => reject(new Error(`The Svet server exited before it was ready (code ${code}, signal ${signal}):\n${describe()}`)), 50);
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    cleanUp();
    throw e;
  }

  return {
    url,
    dataDir,
    logs: () => stderr,
    async stop() {
      if (exitStatus === null) {
        // The server stops cleanly on SIGINT (Ctrl+C); SIGKILL if it does not within 5 s.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      cleanUp();
    },
  };
}

/** Chromium's flags for a sandboxed CI machine without internet (see /work/shared/tooling.md §5). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Launches the system Chromium headless (no Playwright browser download).
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium is missing: ${executablePath}\napt-get install chromium fonts-dejavu-core fonts-liberation (or point CHROMIUM at a Chromium binary)`);
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

const require = createRequire(import.meta.url);
/** @type {string | undefined} */
let axeSource;

/** The WCAG 2.0 and 2.1 level A and AA rules. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core on the page as it is now and returns its violations of the WCAG 2.1 A/AA
 * rules with the given impacts (serious and critical by default; `impacts: null` for all).
 *
 * The server's CSP (`script-src 'self'`) blocks the injected inline script, so the page must
 * come from a browser context made with `bypassCSP: true`.
 *
 * @param {import('playwright-core').Page} page
 * @param {{impacts?: string[] | null}} [options]
 * @returns {Promise<Array<{id: string, impact: string, help: string, helpUrl: string, nodes: Array<{target: unknown, html: string, summary: string}>}>>}
 */
export async function runAxe(page, { impacts = ['serious', 'critical'] } = {}) {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ content: axeSource });
  }
  const violations = await page.evaluate(async (tags) => {
    // @ts-ignore: axe is the global the injected script defines.
    const results = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return results.violations.map((/** @type {any} */ v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((/** @type {any} */ n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
    }));
  }, WCAG_TAGS);
  return impacts ? violations.filter((v) => impacts.includes(v.impact)) : violations;
}

/** A readable list of axe violations for an assertion message. */
export function formatViolations(/** @type {Awaited<ReturnType<typeof runAxe>>} */ violations) {
  return violations
    .map((v) => `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.html}\n      ${String(n.summary).replace(/\n/g, '\n      ')}`).join('\n')}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// The local mail outbox: the server writes every message as <SVET_DATA_DIR>/outbox/<time>-<id>.eml
// (lettre's MIME: multipart/alternative, text parts in quoted-printable or base64, subjects as
// RFC 2047 encoded words). These helpers decode just enough of it to find a message and the
// link in it.

/**
 * @typedef {{file: string, to: string, subject: string, text: string, html: string}} Mail
 */

/** @param {string} dataDir */
export function outboxDir(dataDir) {
  return join(dataDir, 'outbox');
}

/**
 * The file names of the messages in the outbox, oldest first.
 * @param {string} dataDir
 * @returns {string[]}
 */
export function outboxFiles(dataDir) {
  const dir = outboxDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
}

/**
 * Every message in the outbox, decoded, oldest first.
 * @param {string} dataDir
 * @returns {Mail[]}
 */
export function readOutbox(dataDir) {
  return outboxFiles(dataDir).map((file) => {
    const message = parseMime(readFileSync(join(outboxDir(dataDir), file)).toString('latin1'));
    const to = (message.headers.get('to') ?? '').replace(/^.*<([^>]+)>.*$/, '$1').trim();
    return { file, to, subject: decodeWords(message.headers.get('subject') ?? ''), text: message.text, html: message.html };
  });
}

/**
 * Waits for a new message to `to` (not among `before`) that holds a link to `page`
 * (e.g. "activate.html"), and returns it with the link.
 * @param {string} dataDir
 * @param {{to: string, page: string, before?: string[], timeoutMs?: number}} options
 * @returns {Promise<{mail: Mail, link: string}>}
 */
export async function waitForLink(dataDir, { to, page, before = [], timeoutMs = 10_000 }) {
  const pattern = new RegExp(`https?://[^\\s<>"']+/${page.replace('.', '\\.')}#token=[^\\s<>"']+`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fresh = readOutbox(dataDir).filter((m) => !before.includes(m.file) && m.to.toLowerCase() === to.toLowerCase());
    for (const mail of fresh.reverse()) {
      const found = pattern.exec(mail.text);
      if (found) return { mail, link: found[0] };
    }
    if (Date.now() > deadline) {
      const all = readOutbox(dataDir).map((m) => `${m.file} to ${m.to}: ${m.subject}`).join('\n  ');
      throw new Error(`no new mail to ${to} with a link to ${page} within ${timeoutMs / 1000} s; the outbox has:\n  ${all || '(nothing)'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * @param {string} raw the message as latin1 text (bytes one to one)
 * @returns {{headers: Map<string, string>, text: string, html: string}}
 */
function parseMime(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  /** @type {Map<string, string>} */
  const headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    let text = '';
    let html = '';
    const parts = body.split(`--${boundary}`).slice(1);
    for (const part of parts) {
      if (part.startsWith('--')) break;
      const inner = parseMime(part.replace(/^\r?\n/, ''));
      text ||= inner.text;
      html ||= inner.html;
    }
    return { headers, text, html };
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let bytes;
  if (encoding === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  else bytes = Buffer.from(body, 'latin1');
  const decoded = bytes.toString('utf8');
  if (/^text\/html/i.test(type)) return { headers, text: '', html: decoded };
  if (/^text\//i.test(type)) return { headers, text: decoded, html: '' };
  return { headers, text: '', html: '' };
}

/** @param {string} body */
function decodeQuotedPrintable(body) {
  const soft = body.replace(/=\r?\n/g, '');
  /** @type {number[]} */
  const out = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(soft.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) → text. @param {string} value */
function decodeWords(value) {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _charset, kind, data) =>
      kind.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')).toString('utf8'),
    );
}

// ---------------------------------------------------------------------------------------------
// The API from Node, as the page would call it (with the Origin header state-changing requests
// need), for setting up a test's account without clicking through the pages.

/**
 * @param {string} baseUrl the server's url (ends with "/")
 * @param {'GET' | 'POST' | 'PUT'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {string} [cookie] a Cookie header
 * @returns {Promise<{status: number, body: any, setCookie: string | null}>}
 */
export async function callApi(baseUrl, method, path, body, cookie) {
  const origin = new URL(baseUrl).origin;
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', Origin: origin };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (cookie) headers.Cookie = cookie;
  const reply = await fetch(new URL(path, baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: reply.status, body: parsed, setCookie: reply.headers.get('set-cookie') };
}

/**
 * Polls `read` until `check` holds, then fails with the last value seen.
 * @template T
 * @param {() => Promise<T>} read @param {(value: T) => boolean} check @param {string} what
 */
export async function eventually(read, check, what, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  /** @type {T} */
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) assert.fail(`${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Demo customers, posted bills and card payments on the gateway simulator's pages, for tests
// that need a logged-in customer with a bill to pay.

/** @typedef {{account: string, address: string, email: string, password: string}} Customer */

/**
 * Registers a demo customer through the API and activates the account with the link from the
 * outbox.
 * @param {{url: string, dataDir: string}} server @param {Customer} who
 */
export async function registerAndActivate(server, who) {
  const before = outboxFiles(server.dataDir);
  const reply = await callApi(server.url, 'POST', '/api/register', {
    account: who.account,
    password: who.password,
    password_confirm: who.password,
    email: who.email,
    address: who.address,
    consent: true,
  });
  assert.equal(reply.status, 201, `POST /api/register ${who.account}: ${JSON.stringify(reply.body)}`);
  const { link } = await waitForLink(server.dataDir, { to: who.email, page: 'activate.html', before });
  const token = new URL(link).hash.replace(/^#token=/, '');
  const activated = await callApi(server.url, 'POST', '/api/activate', { token });
  assert.equal(activated.status, 200, `POST /api/activate ${who.account}: ${JSON.stringify(activated.body)}`);
}

/**
 * The billing period a reading made now belongs to, in Moscow time: on or before the 25th the
 * current month, later the next one ("YYYY-MM").
 */
export function readingPeriod() {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow', year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  );
  let year = Number(parts.year);
  let month = Number(parts.month);
  if (Number(parts.day) > 25) {
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** Today in Moscow as "YYYY-MM-DD". */
export function moscowToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

/**
 * Posts a month's bills for every account with `svet generate-bills` on the server's data
 * folder (the server itself posts none: SVET_AUTO_BILLS=0).
 * @param {{dataDir: string}} server @param {string} period "YYYY-MM"
 */
export function postBills(server, period) {
  execFileSync(process.env.SVET_BIN || join(REPO, 'target', 'debug', 'svet'), ['generate-bills', '--period', period], {
    env: { ...process.env, SVET_DATA_DIR: server.dataDir },
    stdio: 'pipe',
  });
}

/**
 * Opens `path` without a session: the page sends the visitor to /login.html?next=…; logs in
 * there and waits to be back on `path`.
 * @param {import('playwright-core').Page} page @param {string} baseUrl @param {{account: string, password: string}} who @param {string} path
 */
export async function logInAt(page, baseUrl, who, path) {
  await page.goto(new URL(path, baseUrl).href);
  await page.waitForURL(/\/login\.html\?next=/);
  await page.getByLabel('Номер лицевого счёта', { exact: true }).fill(who.account);
  await page.getByLabel('Пароль', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Войти в систему' }).click();
  await page.waitForURL((url) => url.pathname === new URL(path, baseUrl).pathname);
}

/**
 * The simulator's test cards (docs/sberbank-simulator.md); `code` is the 3-D Secure code when
 * the card asks for one.
 * @typedef {{number: string, expiry: string, cvc: string, code?: string}} TestCard
 */
export const CARDS = {
  /** Success, no challenge. */
  success: { number: '2202 2050 0001 2424', expiry: '05/28', cvc: '649' },
  /** 3-D Secure challenge, then success. */
  challenge: { number: '2202 2060 0027 0541', expiry: '05/28', cvc: '123', code: '111111' },
  /** 3-D Secure challenge, then declined 116 (insufficient funds). */
  declined: { number: '2202 2050 0006 0910', expiry: '06/28', cvc: '810', code: '111111' },
};

/**
 * Pays on the simulator's hosted page (the page must be on it): the card, then the 3-D Secure
 * code when the card asks for one. Returns when the bank's pages send the browser away.
 * @param {import('playwright-core').Page} page @param {TestCard} card
 */
export async function payOnBankPage(page, card) {
  await page.getByLabel('Номер карты').fill(card.number);
  await page.getByLabel('Срок действия').fill(card.expiry);
  await page.getByLabel('CVC').fill(card.cvc);
  await page.getByRole('button', { name: 'Оплатить картой' }).click();
  if (card.code) {
    await page.waitForURL(/\/acs\/challenge/);
    await page.getByLabel('Код подтверждения').fill(card.code);
    await page.getByRole('button', { name: 'Подтвердить' }).click();
  }
  await page.waitForURL((url) => !url.pathname.includes('/sim/sberbank/'));
}
