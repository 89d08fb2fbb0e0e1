// «Платежи» (P1–P5): the customer's payments through the portal and the readings sent without
// payment, newest first, for a date range (by default the last three months, as the server
// decides), with «Обновить». A successful payment's status links to its printable receipt
// (receipt.html). Logged-in only: without a session, the login page (and back here).
//
// The range is kept in the address (?from=…&to=…), so going back from a receipt shows the same
// list. Money comes from the API as integer kopecks with its text; the text is shown as it is.

import { get } from './api.js';
import { byId, clearErrors, el, focusFirstInvalid, input, once, setError, setStatus, showFieldErrors } from './form.js';
import { initSession, toLogin } from './session.js';

/**
 * @typedef {{single?: number, day?: number, night?: number} | null} Registers
 * @typedef {{id: string, created_at: string, paid_at: string | null, amount: number, amount_text: string,
 *   status: string, status_label: string, readings: Registers, refunded: number, refunded_text?: string,
 *   date_text?: string, time_text?: string, receipt?: boolean}} PaymentRow
 */

const NBSP = '\u00a0';
const form = /** @type {HTMLFormElement} */ (byId('range-form'));
const fromInput = input(form, 'from');
const toInput = input(form, 'to');
const status = byId('payments-status');

/**
 * Integer kopecks → «1 234,56 ₽» (for the fields an older server does not send as text).
 * @param {number} kopecks
 */
export function money(kopecks) {
  const text = String(Math.abs(Math.trunc(kopecks))).padStart(3, '0');
  return `${kopecks < 0 ? '−' : ''}${text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, NBSP)},${text.slice(-2)}${NBSP}₽`;
}

/** «2026-11-25» → «25.11.2026» @param {string} iso */
export function dotted(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : iso;
}

const moscow = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Europe/Moscow', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/**
 * The row's date and time as the server wrote them in the company's time zone; from the
 * timestamp in Moscow time if it did not.
 * @param {PaymentRow} p
 * @returns {[string, string]}
 */
function when(p) {
  if (p.date_text && p.time_text) return [p.date_text, p.time_text];
  const date = new Date(p.paid_at ?? p.created_at);
  if (Number.isNaN(date.getTime())) return [p.created_at, ''];
  const [d, t] = moscow.format(date).split(', ');
  return [d, t ?? ''];
}

/**
 * The readings sent with the payment: «12510» or «день 23456 / ночь 10234»; empty when none.
 * @param {Registers} r
 */
export function readingsText(r) {
  if (!r) return '';
  if (typeof r.single === 'number') return String(r.single);
  if (typeof r.day === 'number' || typeof r.night === 'number') return `день ${r.day ?? '—'} / ночь ${r.night ?? '—'}`;
  return '';
}

/** Whether the row has a receipt (paid, or paid and refunded later). @param {PaymentRow} p */
const hasReceipt = (p) => (typeof p.receipt === 'boolean' ? p.receipt : p.status === 'paid' || p.status === 'refunded');

/** A cell that shows a dash to the eye and says `spoken` to a screen reader. @param {HTMLElement} cell @param {string} spoken */
function nothing(cell, spoken) {
  el(cell, 'span', undefined, '—').setAttribute('aria-hidden', 'true');
  el(cell, 'span', 'visually-hidden', spoken);
}

/** @param {PaymentRow[]} payments */
function render(payments) {
  const table = /** @type {HTMLTableElement} */ (byId('payments-table'));
  const body = table.tBodies[0];
  body.textContent = '';
  byId('payments').hidden = false;
  byId('payments-empty').hidden = payments.length > 0;
  table.hidden = payments.length === 0;
  for (const p of payments) {
    const row = el(body, 'tr', `payment payment--${p.status}`);
    row.dataset.id = p.id;
    const [date, time] = when(p);
    const dateCell = el(row, 'th', 'payment__when');
    dateCell.setAttribute('scope', 'row');
    el(dateCell, 'span', 'nowrap', date);
    if (time) {
      dateCell.append(' ');
      el(dateCell, 'span', 'nowrap', time);
    }

    const sum = el(row, 'td', 'num payment__sum');
    sum.dataset.label = 'Сумма';
    if (p.status === 'readings_only' || p.amount === 0) {
      nothing(sum, 'без оплаты');
    } else {
      const box = el(sum, 'span', 'payment__amounts');
      el(box, 'span', 'nowrap', p.amount_text || money(p.amount));
      if (p.refunded > 0) el(box, 'span', 'payment__refund', `возвращено ${p.refunded_text || money(p.refunded)}`);
    }

    const registers = el(row, 'td', 'num payment__readings');
    registers.dataset.label = 'Показания';
    const text = readingsText(p.readings);
    if (text) registers.textContent = text;
    else nothing(registers, 'не передавались');

    const state = el(row, 'td', 'payment__status');
    state.dataset.label = 'Платеж';
    if (hasReceipt(p)) {
      const link = /** @type {HTMLAnchorElement} */ (el(state, 'a', 'payment__receipt', p.status_label));
      link.href = `/receipt.html?id=${encodeURIComponent(p.id)}`;
      // The visible words first (what voice control users say), then which receipt it is.
      el(link, 'span', 'visually-hidden', ` — квитанция об оплате от ${date}`);
    } else {
      el(state, 'span', p.status === 'readings_only' ? undefined : 'payment__problem', p.status_label);
    }
  }
}

/** Hides the list and empties it: nothing stale stays under a wrong range or a failure. */
function clearList() {
  byId('payments').hidden = true;
  /** @type {HTMLTableElement} */ (byId('payments-table')).tBodies[0].textContent = '';
}

/** The range in the address, for reloading and coming back from a receipt. */
function rangeFromAddress() {
  const params = new URLSearchParams(location.search);
  const valid = (/** @type {string | null} */ v) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : '');
  return { from: valid(params.get('from')), to: valid(params.get('to')) };
}

/**
 * Loads the list for the fields' range (the server's default when both are empty) and shows
 * it, or says why not: a field error at its field, anything else in the status line.
 * @param {boolean} typed whether the person pressed «Обновить» (the address follows the range)
 */
async function load(typed) {
  clearErrors(form);
  const from = fromInput.value;
  const to = toInput.value;
  let blocked = false;
  // A date input's value is empty for an unfinished date as well as for none.
  for (const [field, name] of /** @type {const} */ ([[fromInput, '«С»'], [toInput, '«По»']])) {
    if (typed && field.value === '') {
      setError(field, `Укажите дату ${name} полностью: день, месяц и год.`);
      blocked = true;
    }
  }
  if (blocked) {
    setStatus(status, 'Проверьте даты, отмеченные выше.', 'error');
    clearList();
    focusFirstInvalid(form);
    return;
  }
  setStatus(status, 'Загружаем платежи…', 'info');
  const query = new URLSearchParams();
  if (from) query.set('from', from);
  if (to) query.set('to', to);
  const search = query.toString();
  const result = await get(`/api/payments${search ? `?${search}` : ''}`);
  if (!result.ok && result.status === 401) {
    toLogin();
    return;
  }
  if (!result.ok) {
    clearList();
    const fields = result.body.fields;
    if (fields && Object.keys(fields).length) {
      const orphans = showFieldErrors(form, fields);
      setStatus(status, orphans.length ? orphans.join(' ') : 'Проверьте даты, отмеченные выше.', 'error');
      focusFirstInvalid(form);
    } else {
      setStatus(status, `Не удалось загрузить платежи. ${result.body.message}`, 'error');
    }
    return;
  }
  const body = result.body;
  if (typeof body.from === 'string') fromInput.value = body.from;
  if (typeof body.to === 'string') toInput.value = body.to;
  if (typed) history.replaceState(null, '', `${location.pathname}?from=${fromInput.value}&to=${toInput.value}`);
  /** @type {PaymentRow[]} */
  const payments = Array.isArray(body.payments) ? body.payments : [];
  byId('payments-title').textContent = `Платежи с ${dotted(fromInput.value)} по ${dotted(toInput.value)}`;
  render(payments);
  const range = `с ${dotted(fromInput.value)} по ${dotted(toInput.value)}`;
  // Said to a screen reader as well: what the list now shows.
  setStatus(status, payments.length ? `Показаны платежи ${range}: ${payments.length}.` : `Платежей ${range} нет.`, 'info');
}

async function start() {
  const me = await initSession({ required: true });
  if (me === null) return;
  const { from, to } = rangeFromAddress();
  fromInput.value = from;
  toInput.value = to;
  for (const field of [fromInput, toInput]) {
    field.addEventListener('input', () => {
      if (field.getAttribute('aria-invalid') === 'true') setError(field, null);
    });
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void once(form, () => load(true));
  });
  await once(form, () => load(false));
}

void start();
