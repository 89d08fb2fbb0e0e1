// The session as the pages see it: who is logged in (GET /api/me), the header's «Счёт»,
// «Платежи», «Настройки» and «Выход» at the top right, and logging out (POST /api/logout ends
// the session on the server, so the old cookie is refused from then on).
//
// Every page's header has <nav id="session-nav">; its content without a session (a link to
// log in) stays until GET /api/me says who is logged in.

import { get, post } from './api.js';

/** @typedef {{account: string, address: string | null, email: string, email_masked: string}} Me */

/**
 * The logged-in customer, `null` when nobody is, `undefined` when the server could not say
 * (no network, server error): the page then keeps what it shows.
 * @returns {Promise<Me | null | undefined>}
 */
export async function loadMe() {
  const result = await get('/api/me');
  if (result.ok) return /** @type {Me} */ (result.body);
  return result.status === 401 ? null : undefined;
}

/** Sends the visitor to the login page, to come back to this page afterwards. */
export function toLogin() {
  const next = encodeURIComponent(location.pathname + location.search);
  location.replace(`/login.html?next=${next}`);
}

/**
 * A header link, marked as the current page where it is.
 * @param {string} href @param {string} text
 */
function topLink(href, text) {
  const link = document.createElement('a');
  link.className = 'top__link';
  link.href = href;
  link.textContent = text;
  if (location.pathname === href) link.setAttribute('aria-current', 'page');
  return link;
}

/** Shows «Счёт», «Платежи», «Настройки» and «Выход» in the header. */
export function renderLoggedIn() {
  const nav = document.getElementById('session-nav');
  if (!nav) return;
  nav.setAttribute('aria-label', 'Личный кабинет');
  nav.textContent = '';
  const bill = topLink('/bill.html', 'Счёт');
  const payments = topLink('/payments.html', 'Платежи');
  const settings = topLink('/settings.html', 'Настройки');
  const logoutButton = document.createElement('button');
  logoutButton.type = 'button';
  logoutButton.className = 'button button--quiet';
  logoutButton.id = 'logout';
  logoutButton.textContent = 'Выход';
  logoutButton.addEventListener('click', () => void logout(logoutButton));
  nav.append(bill, payments, settings, logoutButton);
}

/**
 * Ends the session on the server and goes to the main page.
 * @param {HTMLButtonElement} button
 */
export async function logout(button) {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  const result = await post('/api/logout');
  if (result.ok || result.status === 401) {
    location.assign('/');
    return;
  }
  button.removeAttribute('aria-disabled');
  const main = document.getElementById('main');
  if (main) {
    let status = document.getElementById('logout-status');
    if (!status) {
      status = document.createElement('p');
      status.id = 'logout-status';
      status.className = 'status status--error';
      status.setAttribute('role', 'alert');
      main.prepend(status);
    }
    status.textContent = `Выйти не удалось. ${result.body.message}`;
  }
}

/**
 * Loads the session and sets up the header. With `required`, a visitor without a session is
 * sent to the login page.
 * @param {{required?: boolean}} [options]
 * @returns {Promise<Me | null | undefined>}
 */
export async function initSession({ required = false } = {}) {
  const me = await loadMe();
  if (me) renderLoggedIn();
  else if (me === null && required) toLogin();
  return me;
}
