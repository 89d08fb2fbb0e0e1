// The main page: for a visitor, what the account offers and how to start; for a logged-in
// customer, their account number, address and e-mail, with «Настройки» and «Выход» in the header.

import { initSession } from './session.js';

const me = await initSession();
if (me) {
  const show = (/** @type {string} */ id, /** @type {string | null} */ value) => {
    const target = document.getElementById(id);
    if (target) target.textContent = value ?? '—';
  };
  show('me-account', me.account);
  show('me-address', me.address);
  show('me-email', me.email);
  for (const part of document.querySelectorAll('[data-guest]')) {
    if (part instanceof HTMLElement) part.hidden = true;
  }
  const member = document.getElementById('member');
  if (member) member.hidden = false;
}
