// «Счёт»: the readings form (B3–B5, B11: fields sized to the meter, «Передать показания
// счетчика»), the current bill as on paper (lines, balance, «Итого к оплате», due date), the
// last 12 months' consumption as an SVG bar chart with the same numbers in a table, and the
// readings history. Logged-in only: without a session, the login page (and back here).
//
// Money comes from the API as integer kopecks and is only ever turned into text here (string
// slicing, no floating point).

import { get, post } from './api.js';
import { byId, clearErrors, el, focusFirstInvalid, once, setError, setStatus, showFieldErrors, statusMessage } from './form.js';
import { initSession, toLogin } from './session.js';

/**
 * @typedef {{first_day: string, last_day: string, days: number, kwh: number, price: number, charge: number}} Segment
 * @typedef {{zone: 'all' | 'day' | 'night', basis: 'readings' | 'estimated' | 'norm', previous: number | null, current: number | null, consumption: number, segments: Segment[], charge: number}} Line
 * @typedef {{period: string, account: string, address: string, tariff: string, rate: string, meter: string, digits: number, lines: Line[], opening_balance: number, total_charge: number, payments: number, closing_balance: number, amount_due: number, due_date: string, payee: {name?: string} | null, qr_payload: string}} Bill
 * @typedef {{kind: 'none'} | {kind: 'single', digits: number, registry_reading: number} | {kind: 'day_night', digits: number, registry_day: number, registry_night: number}} MeterInfo
 * @typedef {{period: string, period_name: string, submitted_at: string, registers: {single?: number, day?: number, night?: number}, source: string, source_label: string, status_label: string}} Reading
 * @typedef {{url: string, file_name: string}} DocLink
 * @typedef {{pdf: DocLink, png?: DocLink} | null} Docs
 * @typedef {{period: string, period_name: string, zones: Array<{zone: string, zone_label: string, basis: string, consumption: number}>, total_kwh: number, total_charge: number, amount_due: number, documents: Docs}} Month
 */

const NBSP = '\u00a0';
const MONTHS_GENITIVE = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];
const MONTHS_SHORT = ['янв', 'фев', 'мар', 'апр', 'май', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'];
const ZONE_LABEL = { all: 'Общий', day: 'День', night: 'Ночь' };
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Groups the digits of a whole number by three with no-break spaces. @param {string} digits */
function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
}

/**
 * Integer kopecks → «1 234,56 ₽» (no-break spaces; «−» for a negative amount).
 * @param {number} kopecks
 */
export function money(kopecks) {
  const negative = kopecks < 0;
  const text = String(Math.abs(Math.trunc(kopecks))).padStart(3, '0');
  return `${negative ? '−' : ''}${group(text.slice(0, -2))},${text.slice(-2)}${NBSP}₽`;
}

/** A whole number of kWh with grouped digits. @param {number} n */
const kwh = (n) => group(String(n));

/** «2026-03-10» → «10 марта 2026 г.» @param {string} iso */
function longDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${Number(m[3])}${NBSP}${MONTHS_GENITIVE[Number(m[2]) - 1]} ${m[1]}${NBSP}г.`;
}

/** «2026-02-01» → «01.02» @param {string} iso */
function shortDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}.${m[2]}` : iso;
}

const moscow = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Europe/Moscow', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
/** A timestamp → «25.11.2026, 17:33» in Moscow time. @param {string} at */
function moscowTime(at) {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : moscow.format(date);
}

/** Leaves the page for the login page when the session is gone. @param {{status: number}} result */
function loggedOut(result) {
  if (result.status !== 401) return false;
  toLogin();
  return true;
}

// ---------------------------------------------------------------------------------------------
// The readings form.

/** @type {MeterInfo} */
let meter = { kind: 'none' };
/** @type {Reading[]} */
let readings = [];
/** The values waiting for «Да, показания верны». @type {Record<string, string> | null} */
let pendingConfirm = null;

/** The fields the meter has: [name, label, last reading]. @returns {Array<[string, string, number | null]>} */
function registers() {
  const last = readings[0]?.registers;
  if (meter.kind === 'single') return [['single', 'Текущие показания счетчика', last?.single ?? meter.registry_reading ?? null]];
  if (meter.kind === 'day_night') {
    return [
      ['day', 'Текущие показания счетчика (день)', last?.day ?? meter.registry_day ?? null],
      ['night', 'Текущие показания счетчика (ночь)', last?.night ?? meter.registry_night ?? null],
    ];
  }
  return [];
}

/**
 * The page's own check of a typed reading (the server decides): whole kWh, digits only, no more
 * digits than the meter has, not below the last reading.
 * @param {string} typed @param {number} digits @param {number | null} last
 * @returns {{message: string, below: boolean} | null}
 */
export function checkReading(typed, digits, last) {
  const text = typed.replace(/[\u200b-\u200d\u2060\ufeff]/g, '').trim();
  if (text === '') return { message: 'Введите текущие показания счётчика.', below: false };
  if (/^\d*[.,]\d*$/.test(text)) {
    const whole = text.split(/[.,]/)[0];
    return { message: `Показания вводятся целыми кВт·ч. Введите только цифры до запятой${whole ? `: ${whole}` : ''}.`, below: false };
  }
  if (!/^\d+$/.test(text)) return { message: 'Введите только цифры со счётчика, без пробелов, букв и других знаков.', below: false };
  const significant = text.replace(/^0+(?=\d)/, '');
  if (significant.length > digits) {
    return { message: `У вашего счётчика ${digits} цифр до запятой, а введено ${significant.length}. Цифры после запятой вводить не нужно.`, below: false };
  }
  if (last !== null && BigInt(significant) < BigInt(last)) {
    return { message: `Показания ${significant} меньше последних принятых (${last}). Проверьте показания.`, below: true };
  }
  return null;
}

function renderForm() {
  const form = /** @type {HTMLFormElement} */ (byId('readings-form'));
  const box = byId('readings-fields');
  box.textContent = '';
  byId('no-meter').hidden = meter.kind !== 'none';
  form.hidden = false;
  updateButton();
  if (meter.kind === 'none') return;
  const digits = meter.digits;
  for (const [name, label, last] of registers()) {
    const field = el(box, 'div', 'field');
    const labelEl = /** @type {HTMLLabelElement} */ (el(field, 'label', undefined, label));
    labelEl.htmlFor = name;
    const hint = el(field, 'p', 'field__hint', `${last === null ? '' : `Последние показания: ${last}. `}Целые кВт·ч, не больше ${digits} цифр — без цифр после запятой.`);
    hint.id = `${name}-hint`;
    const input = /** @type {HTMLInputElement} */ (el(field, 'input', 'reading-input'));
    input.id = name;
    input.name = name;
    input.type = 'text';
    input.inputMode = 'numeric';
    input.maxLength = digits;
    input.pattern = '[0-9]*';
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.required = true;
    input.setAttribute('aria-describedby', hint.id);
    input.addEventListener('input', () => {
      hideConfirm();
      if (input.getAttribute('aria-invalid') === 'true') {
        const problem = checkReading(input.value, digits, last);
        if (!problem) setError(input, null);
      }
    });
    input.addEventListener('blur', () => {
      if (input.value.trim() === '') return;
      const problem = checkReading(input.value, digits, last);
      setError(input, problem ? problem.message : null);
    });
  }
}

/**
 * A typed amount in kopecks, as people type it («1 234,50», «1234.5», «100»); null when it is
 * not an amount (the server decides and says why); 0 when empty.
 * @param {string} typed
 */
export function amountKopecks(typed) {
  const text = typed.replace(/[\s\u00a0]/g, '').replace(/₽$/, '');
  if (text === '') return 0;
  const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** Kopecks as the amount field shows them: «1234,50». @param {number} kopecks */
function typedAmount(kopecks) {
  return `${Math.floor(kopecks / 100)},${String(kopecks % 100).padStart(2, '0')}`;
}

/** The bank's limit for one card payment (B8), from GET /api/bill. */
let maxPayment = 10_000_000;

/** What is left to pay after the part being paid now (B8), 0 when not splitting. */
let splitRest = 0;

/** Where the rest of a split payment and its readings wait while the customer is at the bank. */
const SPLIT_KEY = 'svet-split-payment';

/**
 * «Оплатить» with an amount, «Передать показания счетчика» without (B11); above the bank's
 * limit, the offer to pay in parts (B8).
 */
function updateButton() {
  const typed = /** @type {HTMLInputElement} */ (byId('amount')).value;
  const kopecks = amountKopecks(typed);
  const pay = kopecks !== 0 || meter.kind === 'none';
  byId('readings-submit').textContent = pay ? 'Оплатить' : 'Передать показания счетчика';
  const offer = byId('split-offer');
  if (kopecks !== null && kopecks > maxPayment) {
    const parts = Math.ceil(kopecks / maxPayment);
    byId('split-text').textContent =
      `Банк принимает не более ${money(maxPayment)} за один платеж. Сумму ${money(kopecks)} можно оплатить ` +
      `частями (${parts}): сначала ${money(maxPayment)}, затем остаток. Показания счетчика передаются с первой частью ` +
      'и подставятся во вторую сами.';
    byId('split-pay').textContent = `Оплатить первую часть: ${money(maxPayment)}`;
    offer.hidden = false;
  } else {
    offer.hidden = true;
  }
}

/** «Оплатить первую часть»: pays the limit now and keeps the rest for after the bank's page. */
function payFirstPart() {
  const input = /** @type {HTMLInputElement} */ (byId('amount'));
  const kopecks = amountKopecks(input.value);
  if (kopecks === null || kopecks <= maxPayment) return;
  splitRest = kopecks - maxPayment;
  input.value = typedAmount(maxPayment);
  updateButton();
  /** @type {HTMLFormElement} */ (byId('readings-form')).requestSubmit();
}

/**
 * Back from the bank after a part of a split payment: the rest and the same readings are
 * filled in (B8). Only after a successful part; otherwise the customer starts again.
 * @param {string | null} outcome
 */
function resumeSplit(outcome) {
  const saved = sessionStorage.getItem(SPLIT_KEY);
  sessionStorage.removeItem(SPLIT_KEY);
  if (!saved || outcome !== 'paid') return;
  /** @type {{rest: number, readings: Record<string, string>}} */
  let split;
  try {
    split = JSON.parse(saved);
  } catch {
    return;
  }
  if (!(split.rest > 0)) return;
  /** @type {HTMLInputElement} */ (byId('amount')).value = typedAmount(split.rest);
  const form = /** @type {HTMLFormElement} */ (byId('readings-form'));
  for (const [name, value] of Object.entries(split.readings ?? {})) {
    const input = form.elements.namedItem(name);
    if (input instanceof HTMLInputElement) input.value = String(value);
  }
  setStatus(
    byId('payment-status'),
    `Платеж успешно выполнен. Осталось оплатить ${money(split.rest)}: сумма и те же показания уже подставлены, нажмите «Оплатить».`,
    'ok',
  );
  updateButton();
}

/** A fresh token per payment form: the same token twice is one order (a double click). */
let formToken = crypto.randomUUID();

/** The readings question came from «Оплатить»: «Да» pays. */
let pendingPay = false;

/** @param {Record<string, string>} values @param {boolean} [confirm] */
async function pay(values, confirm = false) {
  const form = /** @type {HTMLFormElement} */ (byId('readings-form'));
  const status = byId('readings-status');
  // B3: a payment carries the current readings (none without a meter).
  const body = {
    amount: /** @type {HTMLInputElement} */ (byId('amount')).value.trim(),
    receipt_email: /** @type {HTMLInputElement} */ (byId('receipt_email')).value.trim(),
    receipt_mail: /** @type {HTMLInputElement} */ (byId('receipt_mail')).checked,
    form_token: formToken,
    ...(Object.keys(values).length ? { readings: confirm ? { ...values, confirm: true } : values } : {}),
  };
  const result = await post('/api/payments', body);
  if (loggedOut(result)) return;
  if (result.ok && typeof result.body.form_url === 'string') {
    setStatus(status, 'Переходим на страницу банка для оплаты картой…', 'info');
    if (splitRest > 0) sessionStorage.setItem(SPLIT_KEY, JSON.stringify({ rest: splitRest, readings: values }));
    splitRest = 0;
    window.location.assign(result.body.form_url);
    return;
  }
  if (result.body.error === 'confirm') {
    askConfirm(values, result.body, true);
    return;
  }
  splitRest = 0;
  const orphans = showFieldErrors(form, result.body.fields);
  setStatus(status, orphans.length ? orphans.join(' ') : statusMessage(result.body), 'error');
  focusFirstInvalid(form);
}

/**
 * What the bank's return said (`?payment=…`), in words; the server asked the bank.
 * @returns {string | null} the outcome
 */
function showPaymentOutcome() {
  const outcome = new URLSearchParams(window.location.search).get('payment');
  if (!outcome) return null;
  const words = {
    paid: ['Платеж успешно выполнен.', 'ok'],
    declined: ['Платёж не прошёл: банк отклонил оплату. Деньги не списаны. Попробуйте ещё раз или другой картой.', 'error'],
    expired: ['Время на оплату истекло. Деньги не списаны. Попробуйте ещё раз.', 'error'],
  }[outcome] ?? ['Платёж ещё обрабатывается банком. Его статус появится на этой странице в течение нескольких минут.', 'info'];
  setStatus(byId('payment-status'), words[0], /** @type {any} */ (words[1]));
  history.replaceState(null, '', window.location.pathname);
  return outcome;
}

/**
 * «Вы уверены?»: the server questions a reading (B-beyond); «Да, показания верны» sends it
 * again, with the payment when it came from «Оплатить».
 * @param {Record<string, string>} values @param {{message: string, fields?: Record<string, string>}} body @param {boolean} paying
 */
function askConfirm(values, body, paying) {
  pendingConfirm = values;
  pendingPay = paying;
  const text = byId('readings-confirm-text');
  text.textContent = Object.values(body.fields ?? {}).join(' ') || body.message;
  byId('readings-confirm').hidden = false;
  setStatus(byId('readings-status'), body.message, 'info');
  const yes = byId('readings-confirm-yes');
  yes.setAttribute('aria-describedby', 'readings-confirm-text');
  yes.focus();
}

function hideConfirm() {
  pendingConfirm = null;
  byId('readings-confirm').hidden = true;
}

/** @param {Record<string, string>} values @param {boolean} confirm */
async function send(values, confirm) {
  const form = /** @type {HTMLFormElement} */ (byId('readings-form'));
  const status = byId('readings-status');
  const result = await post('/api/readings', confirm ? { ...values, confirm: true } : values);
  if (loggedOut(result)) return;
  if (result.ok) {
    hideConfirm();
    for (const name of Object.keys(values)) {
      const input = form.elements.namedItem(name);
      if (input instanceof HTMLInputElement) input.value = '';
    }
    await loadReadings();
    setStatus(byId('readings-status'), 'Показания приняты.', 'ok');
    return;
  }
  const body = result.body;
  if (body.error === 'confirm') {
    askConfirm(values, body, false);
    return;
  }
  const orphans = showFieldErrors(form, body.fields);
  setStatus(status, orphans.length ? orphans.join(' ') : statusMessage(body), 'error');
  focusFirstInvalid(form);
}

function setUpForm() {
  const form = /** @type {HTMLFormElement} */ (byId('readings-form'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void once(form, async () => {
      const status = byId('readings-status');
      setStatus(status, null);
      clearErrors(form);
      hideConfirm();
      /** @type {Record<string, string>} */
      const values = {};
      let blocked = false;
      const paying = /** @type {HTMLButtonElement} */ (byId('readings-submit')).textContent === 'Оплатить';
      for (const [name, , last] of registers()) {
        const input = form.elements.namedItem(name);
        if (!(input instanceof HTMLInputElement)) continue;
        values[name] = input.value.trim();
        const problem = checkReading(input.value, meter.kind === 'none' ? 0 : meter.digits, last);
        // Below the last reading goes to the server: its answer names rollover, meter
        // replacement and the support contacts, which only it knows.
        if (problem && !problem.below) {
          setError(input, problem.message);
          blocked = true;
        }
      }
      if (blocked) {
        setStatus(status, 'Проверьте показания, отмеченные выше.', 'error');
        focusFirstInvalid(form);
        return;
      }
      if (paying) {
        await pay(values);
      } else {
        await send(values, false);
      }
    });
  });
  byId('amount').addEventListener('input', updateButton);
  byId('split-pay').addEventListener('click', payFirstPart);
  const yes = byId('readings-confirm-yes');
  yes.addEventListener('click', () => {
    const values = pendingConfirm;
    if (!values) return;
    void once(form, () => (pendingPay ? pay(values, true) : send(values, true)));
  });
}

// ---------------------------------------------------------------------------------------------
// The readings history.

/** @param {Reading['registers']} r */
function registersText(r) {
  if (r.single !== undefined) return String(r.single);
  return `день ${r.day ?? '—'}, ночь ${r.night ?? '—'}`;
}

function renderHistory() {
  const table = /** @type {HTMLTableElement} */ (byId('history-table'));
  const body = table.tBodies[0];
  body.textContent = '';
  byId('history-empty').hidden = readings.length > 0;
  table.hidden = readings.length === 0;
  for (const r of readings) {
    const row = el(body, 'tr');
    const cells = [r.period_name, moscowTime(r.submitted_at), registersText(r.registers), r.source_label, r.status_label];
    const labels = ['Период', 'Передано', 'Показания', 'Источник', 'Статус'];
    cells.forEach((text, i) => {
      const td = el(row, 'td', i === 2 ? 'num' : undefined, text);
      td.dataset.label = labels[i];
    });
  }
  byId('history').hidden = meter.kind === 'none' && readings.length === 0;
}

async function loadReadings() {
  const result = await get('/api/readings');
  if (loggedOut(result)) return false;
  if (!result.ok) {
    setStatus(byId('readings-status'), `Не удалось загрузить показания. ${result.body.message}`, 'error');
    return false;
  }
  meter = result.body.meter;
  readings = result.body.readings ?? [];
  // Keep what the person typed when only the history changes.
  const form = /** @type {HTMLFormElement} */ (byId('readings-form'));
  /** @type {Record<string, string>} */
  const typed = {};
  for (const input of form.querySelectorAll('input')) typed[input.name] = input.value;
  renderForm();
  for (const input of form.querySelectorAll('input')) input.value = typed[input.name] ?? '';
  renderHistory();
  return true;
}

// ---------------------------------------------------------------------------------------------
// The bill.

/** @param {HTMLElement} parent @param {string} term @param {string} value */
function fact(parent, term, value) {
  const row = el(parent, 'div');
  el(row, 'dt', undefined, term);
  el(row, 'dd', undefined, value);
}

/**
 * Links that open the bill's PDF and PNG in a new tab (the links expire in minutes: the page
 * asks for fresh ones on every load).
 * @param {HTMLElement} parent @param {Docs} docs @param {string} periodName @param {boolean} buttons
 */
function docLinks(parent, docs, periodName, buttons) {
  for (const [format, label] of /** @type {const} */ ([['pdf', 'PDF'], ['png', 'PNG']])) {
    const doc = docs?.[format];
    if (!doc) continue;
    const link = /** @type {HTMLAnchorElement} */ (el(parent, 'a', buttons ? 'button button--secondary' : undefined));
    link.href = doc.url;
    link.target = '_blank';
    link.rel = 'noopener';
    link.textContent = buttons ? `Открыть счёт (${label})` : label;
    // In the archive the visible «PDF» alone would not say which month.
    if (!buttons) link.setAttribute('aria-label', `${label}: счёт за ${periodName}`);
    link.dataset.format = format;
  }
}

/** Successful payments since the current bill was posted (B9), in kopecks. */
let paidSinceBill = 0;

/** @param {Bill} bill @param {string} periodName @param {Docs} docs @param {string} tariffName */
function renderBill(bill, periodName, docs, tariffName) {
  byId('bill-title').textContent = `Счёт за ${periodName}`;
  const box = byId('bill-body');
  box.textContent = '';
  box.hidden = false;
  byId('bill-empty').hidden = true;

  const facts = el(box, 'dl', 'facts');
  fact(facts, 'Лицевой счёт', bill.account);
  fact(facts, 'Адрес', bill.address);
  const rate = bill.rate === 'day_night' ? 'по двум зонам суток (день/ночь)' : 'одноставочный';
  fact(facts, 'Тариф', `${tariffName}, ${rate}`);
  if (bill.payee?.name) fact(facts, 'Получатель', bill.payee.name);

  const wrap = el(box, 'div', 'table-wrap');
  const table = /** @type {HTMLTableElement} */ (el(wrap, 'table', 'table table--stack bill-lines'));
  el(table, 'caption', undefined, 'Начисления за электроэнергию');
  const head = el(el(table, 'thead'), 'tr');
  for (const [i, title] of ['Зона', 'Предыдущие', 'Текущие', 'Расход, кВт·ч', 'Цена', 'Сумма'].entries()) {
    const th = el(head, 'th', i === 0 ? undefined : 'num', title);
    th.setAttribute('scope', 'col');
  }
  /** A cell with its column's name for the phone layout. @param {HTMLElement} row @param {string} label @param {string} className @param {string} [text] */
  const cell = (row, label, className, text) => {
    const td = el(row, 'td', className, text);
    td.dataset.label = label;
    return td;
  };
  const tbody = el(table, 'tbody');
  for (const line of bill.lines) {
    const row = el(tbody, 'tr');
    const zone = el(row, 'th', undefined, ZONE_LABEL[line.zone] ?? line.zone);
    zone.setAttribute('scope', 'row');
    if (line.basis === 'readings') {
      cell(row, 'Предыдущие', 'num', line.previous === null ? '—' : String(line.previous));
      cell(row, 'Текущие', 'num', line.current === null ? '—' : String(line.current));
    } else {
      const basis = /** @type {HTMLTableCellElement} */ (cell(row, 'Показания', 'num', line.basis === 'norm' ? 'по нормативу' : 'расчёт по среднему'));
      basis.colSpan = 2;
    }
    cell(row, 'Расход, кВт·ч', 'num', kwh(line.consumption));
    const price = cell(row, 'Цена', 'num');
    const several = line.segments.length > 1;
    for (const s of line.segments) {
      const part = el(price, 'span', 'price', `${money(s.price)}/кВт·ч`);
      if (several) part.append(` (${shortDate(s.first_day)}–${shortDate(s.last_day)}, ${kwh(s.kwh)} кВт·ч)`);
    }
    cell(row, 'Сумма', 'num nowrap', money(line.charge));
  }

  const totals = el(box, 'table', 'totals');
  const tb = el(totals, 'tbody');
  /** @param {string} label @param {string} value @param {string} [className] */
  const total = (label, value, className) => {
    const row = el(tb, 'tr', className);
    const th = el(row, 'th', undefined, label);
    th.setAttribute('scope', 'row');
    el(row, 'td', 'num nowrap', value);
  };
  total(bill.opening_balance < 0 ? 'Переплата на начало периода' : 'Задолженность на начало периода', money(Math.abs(bill.opening_balance)));
  total('Начислено', money(bill.total_charge));
  total('Оплачено', money(bill.payments));
  total('Итого к оплате', money(bill.amount_due), 'totals__due');
  if (paidSinceBill > 0) total('Оплачено по текущей квитанции', money(paidSinceBill), 'totals__paid');
  el(box, 'p', 'due', `Оплатить до ${longDate(bill.due_date)}`);

  const actions = el(box, 'div', 'actions no-print');
  actions.id = 'bill-documents';
  if (docs) {
    docLinks(actions, docs, periodName, true);
    const print = /** @type {HTMLButtonElement} */ (el(actions, 'button', 'button button--quiet', 'Распечатать'));
    print.type = 'button';
    print.id = 'bill-print';
    print.addEventListener('click', () => window.print());
  } else {
    el(actions, 'p', 'notice', 'Документ счёта (PDF и PNG) готовится. Обновите страницу через несколько минут.');
  }
}

/** Earlier bills with their documents, newest first. */
function renderArchive() {
  const earlier = months.slice(0, -1).filter((m) => m.documents).reverse();
  const section = byId('archive');
  section.hidden = earlier.length === 0;
  const tbody = /** @type {HTMLElement} */ (byId('archive-table').querySelector('tbody'));
  tbody.textContent = '';
  for (const m of earlier) {
    const row = el(tbody, 'tr');
    el(row, 'th', undefined, m.period_name).setAttribute('scope', 'row');
    const charged = el(row, 'td', 'num nowrap', money(m.total_charge));
    charged.dataset.label = 'Начислено';
    const due = el(row, 'td', 'num nowrap', money(m.amount_due));
    due.dataset.label = 'К оплате';
    const links = el(row, 'td', 'doc-links');
    links.dataset.label = 'Счёт';
    docLinks(links, m.documents, m.period_name, false);
  }
}

// ---------------------------------------------------------------------------------------------
// Consumption by month: an SVG bar chart and the same numbers in a table.

/** @type {Month[]} */
let months = [];

/** @param {Month} m @param {string} zone */
const zoneKwh = (m, zone) => m.zones.filter((z) => z.zone === zone).reduce((sum, z) => sum + z.consumption, 0);
const twoZones = () => months.some((m) => m.zones.some((z) => z.zone === 'day' || z.zone === 'night'));

/** «2026-02» → «фев» (and the year under January and the first bar). @param {string} period @param {boolean} withYear */
function monthLabel(period, withYear) {
  const m = /^(\d{4})-(\d{2})/.exec(period);
  if (!m) return [period];
  const name = MONTHS_SHORT[Number(m[2]) - 1];
  return withYear ? [name, m[1]] : [name];
}

/** A round step for the axis: 1, 2 or 5 × 10ⁿ. @param {number} max */
function niceStep(max) {
  const raw = Math.max(1, max) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const f of [1, 2, 5, 10]) if (f * power >= raw) return f * power;
  return 10 * power;
}

/**
 * @param {Element} parent @param {string} tag @param {Record<string, string | number>} attrs @param {string} [text]
 * @returns {SVGElement}
 */
function svg(parent, tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  parent.append(node);
  return /** @type {SVGElement} */ (node);
}

function renderChart() {
  const box = byId('usage-chart');
  box.textContent = '';
  if (months.length === 0) return;
  const stacked = twoZones();
  const width = Math.max(280, Math.min(box.clientWidth || 640, 900));
  const height = 240;
  const left = 48;
  const right = 8;
  const top = 24;
  const bottom = 44;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(...months.map((m) => m.total_kwh), 1);
  const step = niceStep(max);
  const axisMax = Math.ceil(max / step) * step;
  const y = (/** @type {number} */ v) => top + plotH - (v / axisMax) * plotH;

  const summary = months.map((m) => {
    const parts = stacked ? ` (день ${zoneKwh(m, 'day')}, ночь ${zoneKwh(m, 'night')})` : '';
    return `${m.period_name}: ${m.total_kwh} кВт·ч${parts}`;
  });
  const chart = svg(box, 'svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `Потребление по месяцам, кВт·ч. ${summary.join('; ')}.`,
    class: 'chart__svg',
  });
  for (let v = 0; v <= axisMax; v += step) {
    svg(chart, 'line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: v === 0 ? 'chart__axis' : 'chart__grid' });
    svg(chart, 'text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'chart__label' }, String(v));
  }
  svg(chart, 'text', { x: 4, y: 12, class: 'chart__label' }, 'кВт·ч');
  const slot = plotW / 12;
  const barW = Math.max(8, Math.min(40, slot * 0.6));
  months.forEach((m, i) => {
    const cx = left + slot * (i + 0.5) + slot * (12 - months.length);
    const x = cx - barW / 2;
    if (stacked) {
      const day = zoneKwh(m, 'day');
      const night = zoneKwh(m, 'night');
      svg(chart, 'rect', { x, y: y(night), width: barW, height: y(0) - y(night), class: 'chart__bar chart__bar--night' });
      svg(chart, 'rect', { x, y: y(night + day), width: barW, height: y(night) - y(night + day), class: 'chart__bar chart__bar--day' });
    } else {
      svg(chart, 'rect', { x, y: y(m.total_kwh), width: barW, height: y(0) - y(m.total_kwh), class: 'chart__bar' });
    }
    const withYear = i === 0 || /-01$/.test(m.period);
    const [name, year] = monthLabel(m.period, withYear);
    svg(chart, 'text', { x: cx, y: height - bottom + 18, 'text-anchor': 'middle', class: 'chart__label' }, name);
    if (year) svg(chart, 'text', { x: cx, y: height - bottom + 34, 'text-anchor': 'middle', class: 'chart__label' }, year);
  });
  if (stacked) {
    const legend = el(box, 'p', 'chart__legend');
    legend.setAttribute('aria-hidden', 'true');
    el(legend, 'span', 'chart__key chart__key--day');
    legend.append('День ');
    el(legend, 'span', 'chart__key chart__key--night');
    legend.append('Ночь');
  }
}

function renderUsage() {
  byId('usage').hidden = months.length === 0;
  if (months.length === 0) return;
  const table = /** @type {HTMLTableElement} */ (byId('usage-table'));
  const stacked = twoZones();
  const head = /** @type {HTMLTableSectionElement} */ (table.tHead);
  head.textContent = '';
  const hr = el(head, 'tr');
  for (const [i, title] of (stacked ? ['Месяц', 'День', 'Ночь', 'Всего'] : ['Месяц', 'Всего']).entries()) {
    el(hr, 'th', i === 0 ? undefined : 'num', title).setAttribute('scope', 'col');
  }
  const body = table.tBodies[0];
  body.textContent = '';
  for (const m of months) {
    const row = el(body, 'tr');
    el(row, 'th', undefined, m.period_name).setAttribute('scope', 'row');
    if (stacked) {
      el(row, 'td', 'num', kwh(zoneKwh(m, 'day')));
      el(row, 'td', 'num', kwh(zoneKwh(m, 'night')));
    }
    el(row, 'td', 'num', kwh(m.total_kwh));
  }
  renderChart();
}

// ---------------------------------------------------------------------------------------------

async function start() {
  const load = byId('bill-load');
  const me = await initSession({ required: true });
  if (me === null) return;
  const [bill, , history] = await Promise.all([get('/api/bill'), loadReadings(), get('/api/bills')]);
  if (loggedOut(bill) || loggedOut(history)) return;
  if (!bill.ok) {
    setStatus(load, `Не удалось загрузить счёт. ${bill.body.message}`, 'error');
    return;
  }
  const outcome = showPaymentOutcome();
  if (typeof bill.body.max_payment === 'number') maxPayment = bill.body.max_payment;
  resumeSplit(outcome);
  const emailInput = /** @type {HTMLInputElement} */ (byId('receipt_email'));
  if (!emailInput.value && me && typeof me.email === 'string') emailInput.value = me.email;
  if (bill.body.bill) {
    paidSinceBill = Number(bill.body.paid_since_bill ?? 0);
    const due = Math.max(0, bill.body.bill.amount_due - paidSinceBill);
    const amountInput = /** @type {HTMLInputElement} */ (byId('amount'));
    if (!amountInput.value && due > 0) amountInput.value = typedAmount(due);
    updateButton();
    renderBill(bill.body.bill, bill.body.period_name, bill.body.documents ?? null, bill.body.tariff_name ?? bill.body.bill.tariff);
  } else {
    const empty = byId('bill-empty');
    empty.textContent = bill.body.message;
    empty.hidden = false;
  }
  months = history.ok ? (history.body.months ?? []).slice(-12) : [];
  setStatus(load, null);
  byId('bill-page').hidden = false;
  renderUsage();
  renderArchive();
  let lastWidth = byId('usage-chart').clientWidth;
  window.addEventListener('resize', () => {
    const w = byId('usage-chart').clientWidth;
    if (w !== lastWidth) {
      lastWidth = w;
      renderChart();
    }
  });
}

setUpForm();
void start();
