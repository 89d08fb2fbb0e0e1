// The printable receipt of one successful payment (P4): the company, date, time, amount, the
// payment's id, the readings sent with it, the account number, the premises' address and the
// status; «Распечатать» (the print stylesheet shows only the receipt), «Скачать PDF» (the same
// receipt made by the server) and the way back to «Платежи». Logged-in only. The server
// answers 404 for an unknown id, another customer's payment and a payment that was not paid:
// the page says the receipt was not found, without telling which.

import { get } from './api.js';
import { byId, el, setStatus } from './form.js';
import { initSession, toLogin } from './session.js';

/**
 * @typedef {{single?: number, day?: number, night?: number} | null} Registers
 * @typedef {{id: string, status: string, status_label: string, date_text: string, time_text: string,
 *   amount: number, amount_text: string, refunded: number, refunded_text?: string, account: string,
 *   address: string, readings: Registers, order_number?: string | null, pdf_url?: string | null}} Receipt
 */

const status = byId('receipt-status');

/** @param {Registers} r */
function readingsText(r) {
  if (!r) return 'не передавались';
  if (typeof r.single === 'number') return String(r.single);
  return `день ${r.day ?? '—'} / ночь ${r.night ?? '—'}`;
}

/** @param {HTMLElement} list @param {string} term @param {string} value @param {string} key */
function fact(list, term, value, key) {
  const row = el(list, 'div');
  row.dataset.fact = key;
  el(row, 'dt', undefined, term);
  el(row, 'dd', undefined, value);
}

/** @param {string} message */
function missing(message) {
  setStatus(status, null);
  byId('receipt').hidden = true;
  byId('receipt-missing-text').textContent = message;
  byId('receipt-missing').hidden = false;
  document.title = document.title.replace(/^Квитанция об оплате/, 'Квитанция не найдена');
}

/** @param {Receipt} r */
function show(r) {
  const list = byId('receipt-facts');
  list.textContent = '';
  fact(list, 'Дата', r.date_text, 'date');
  fact(list, 'Время', r.time_text, 'time');
  fact(list, 'Сумма', r.amount_text, 'amount');
  if (r.refunded > 0 && r.refunded_text) fact(list, 'Возвращено', r.refunded_text, 'refunded');
  fact(list, 'Номер платежа', r.id, 'id');
  if (r.order_number) fact(list, 'Номер заказа в банке', r.order_number, 'order');
  fact(list, 'Показания счетчика', readingsText(r.readings), 'readings');
  fact(list, 'Лицевой счёт', r.account, 'account');
  fact(list, 'Адрес', r.address, 'address');
  fact(list, 'Статус', r.status_label, 'status');
  const pdf = /** @type {HTMLAnchorElement} */ (byId('receipt-pdf'));
  if (r.pdf_url) {
    pdf.href = r.pdf_url;
    pdf.hidden = false;
  } else {
    pdf.hidden = true;
  }
  setStatus(status, null);
  byId('receipt-missing').hidden = true;
  byId('receipt').hidden = false;
  document.title = document.title.replace(/^Квитанция об оплате/, `Квитанция об оплате от ${r.date_text}`);
}

async function start() {
  byId('receipt-print').addEventListener('click', () => window.print());
  const me = await initSession({ required: true });
  if (me === null) return;
  const id = new URLSearchParams(location.search).get('id') ?? '';
  if (id.trim() === '') {
    missing('В ссылке нет номера платежа. Откройте квитанцию со страницы «Платежи».');
    return;
  }
  const result = await get(`/api/payments/receipt?id=${encodeURIComponent(id.trim())}`);
  if (!result.ok && result.status === 401) {
    toLogin();
    return;
  }
  if (!result.ok && (result.status === 404 || result.status === 400)) {
    missing('Квитанция по этой ссылке не найдена. Квитанции есть только у успешных платежей вашего лицевого счёта. Откройте квитанцию со страницы «Платежи».');
    return;
  }
  if (!result.ok) {
    setStatus(status, `Не удалось загрузить квитанцию. ${result.body.message}`, 'error');
    return;
  }
  show(/** @type {Receipt} */ (result.body));
}

void start();
