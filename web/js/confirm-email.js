// Confirms a new e-mail address (S4) from the link mailed to it: #token=… in the address,
// nothing happens until «Подтвердить адрес» is pressed (mail scanners follow links).

import { post } from './api.js';
import { byId, setStatus } from './form.js';
import { forgetToken, takeToken } from './link.js';
import { initSession } from './session.js';

const KEY = 'svet.confirm-email';
const token = takeToken(KEY);
void initSession();

const ready = byId('confirm-ready');
const status = byId('confirm-status');
const button = /** @type {HTMLButtonElement} */ (byId('confirm'));

/** @param {string} message */
function badLink(message) {
  ready.hidden = true;
  byId('confirm-bad-text').textContent = message;
  byId('confirm-bad').hidden = false;
}

if (!token) badLink('В ссылке нет кода подтверждения. Откройте ссылку из письма целиком.');

button.addEventListener('click', async () => {
  if (!token || button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  setStatus(status, 'Подтверждаем…', 'info');
  const result = await post('/api/settings/email/confirm', { token });
  button.removeAttribute('aria-disabled');
  if (result.ok) {
    forgetToken(KEY);
    ready.hidden = true;
    byId('confirm-done').hidden = false;
    byId('confirm-done-title').focus();
    return;
  }
  if (result.status === 410) {
    forgetToken(KEY);
    badLink(result.body.message);
    byId('confirm-bad-title').focus();
    return;
  }
  setStatus(status, result.body.message, 'error');
});
