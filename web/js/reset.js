// A new password from the link mailed by «Забыли пароль?» (R8): #token=… in the address, the new
// password twice, «Сохранить пароль». Every session ends on success; the customer logs in with
// the new password. A spent or expired link leads back to «Забыли пароль?».

import { post } from './api.js';
import {
  byId, focusFirstInvalid, input, once, setError, setStatus, showFieldErrors, showPasswords,
  statusMessage, strengthMeter,
} from './form.js';
import { forgetToken, takeToken } from './link.js';
import { checkConfirmation, checkPassword } from './validate.js';

const KEY = 'svet.reset';
const token = takeToken(KEY);

const form = /** @type {HTMLFormElement} */ (byId('reset-form'));
const status = byId('reset-status');
const password = input(form, 'password');
const confirmation = input(form, 'password_confirm');
strengthMeter(password, byId('password-strength'));
showPasswords(/** @type {HTMLInputElement} */ (byId('show-password')), [password, confirmation]);

/** @param {string} message */
function badLink(message) {
  form.hidden = true;
  byId('reset-bad-text').textContent = message;
  byId('reset-bad').hidden = false;
}

if (!token) badLink('В ссылке нет кода для смены пароля. Откройте ссылку из письма целиком или получите новую.');

password.addEventListener('blur', () => {
  if (password.value !== '') setError(password, checkPassword(password.value));
});
password.addEventListener('input', () => {
  if (password.getAttribute('aria-invalid') === 'true') setError(password, checkPassword(password.value));
});
confirmation.addEventListener('input', () => {
  if (confirmation.getAttribute('aria-invalid') === 'true' || confirmation.value.length >= password.value.length) {
    setError(confirmation, confirmation.value === '' ? null : checkConfirmation(password.value, confirmation.value));
  }
});
confirmation.addEventListener('blur', () => {
  if (confirmation.value !== '') setError(confirmation, checkConfirmation(password.value, confirmation.value));
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void once(form, async () => {
    if (!token) return;
    setError(password, checkPassword(password.value));
    setError(confirmation, checkConfirmation(password.value, confirmation.value));
    if (focusFirstInvalid(form)) {
      setStatus(status, 'Проверьте поля, отмеченные ниже.', 'error');
      return;
    }
    setStatus(status, 'Сохраняем…', 'info');
    const result = await post('/api/password/reset', { token, password: password.value, password_confirm: confirmation.value });
    if (result.ok) {
      forgetToken(KEY);
      form.hidden = true;
      byId('reset-done').hidden = false;
      byId('reset-done-title').focus();
      return;
    }
    if (result.status === 410) {
      forgetToken(KEY);
      badLink(result.body.message);
      byId('reset-bad-title').focus();
      return;
    }
    const orphans = showFieldErrors(form, result.body.fields);
    setStatus(status, [statusMessage(result.body), ...orphans].join(' '), 'error');
    focusFirstInvalid(form);
  });
});
