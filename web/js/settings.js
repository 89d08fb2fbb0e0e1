// «Настройки» (S1–S4): bill delivery by e-mail (PDF or PNG) and new-bill notices, the password,
// and the e-mail address (the new one is confirmed by a link before it takes effect). Needs a
// session: without one the visitor goes to the login page and comes back here.

import { get, post, put } from './api.js';
import {
  byId, emailField, focusFirstInvalid, input, once, setError, setStatus, showFieldErrors,
  showPasswords, statusMessage, strengthMeter,
} from './form.js';
import { initSession, renderLoggedIn, toLogin } from './session.js';
import { checkConfirmation, checkPassword } from './validate.js';

/** @typedef {{email: string, email_masked: string, delivery: 'off' | 'pdf' | 'png', notices: boolean}} Settings */

const loading = byId('settings-load');
const deliveryForm = /** @type {HTMLFormElement} */ (byId('delivery-form'));
const me = await initSession({ required: true });

/**
 * A request's 401 means the session ended meanwhile (idle time-out, «Выход» elsewhere, a new
 * password): log in again and come back.
 * @param {{ok: boolean, status: number}} result
 */
const sessionEnded = (result) => {
  if (!result.ok && result.status === 401) {
    toLogin();
    return true;
  }
  return false;
};

/** @param {Settings} settings */
function fill(settings) {
  for (const target of document.querySelectorAll('[data-settings="email"]')) target.textContent = settings.email;
  const delivery = document.querySelector(`input[name="delivery"][value="${settings.delivery}"]`);
  if (delivery instanceof HTMLInputElement) delivery.checked = true;
  input(deliveryForm, 'notices').checked = settings.notices;
}

/** @param {Settings} settings */
function show(settings) {
  fill(settings);
  setStatus(loading, null);
  if (!me) renderLoggedIn();
  byId('settings').hidden = false;
  wire();
}

function wire() {
  const deliveryStatus = byId('delivery-status');
  deliveryForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void once(deliveryForm, async () => {
      const chosen = deliveryForm.querySelector('input[name="delivery"]:checked');
      const delivery = chosen instanceof HTMLInputElement ? chosen.value : 'off';
      setStatus(deliveryStatus, 'Сохраняем…', 'info');
      const result = await put('/api/settings', { delivery, notices: input(deliveryForm, 'notices').checked });
      if (sessionEnded(result)) return;
      if (result.ok) {
        fill(/** @type {Settings} */ (result.body));
        setStatus(deliveryStatus, 'Настройки сохранены.', 'ok');
      } else {
        setStatus(deliveryStatus, result.body.message, 'error');
      }
    });
  });

  const passwordForm = /** @type {HTMLFormElement} */ (byId('password-form'));
  const passwordStatus = byId('password-status');
  const current = input(passwordForm, 'current_password');
  const password = input(passwordForm, 'password');
  const confirmation = input(passwordForm, 'password_confirm');
  const account = me ? me.account : null;
  strengthMeter(password, byId('new_password-strength'));
  showPasswords(/** @type {HTMLInputElement} */ (byId('show-password')), [current, password, confirmation]);
  password.addEventListener('blur', () => {
    if (password.value !== '') setError(password, checkPassword(password.value, account));
  });
  confirmation.addEventListener('input', () => {
    if (confirmation.getAttribute('aria-invalid') === 'true' || confirmation.value.length >= password.value.length) {
      setError(confirmation, confirmation.value === '' ? null : checkConfirmation(password.value, confirmation.value));
    }
  });
  current.addEventListener('input', () => {
    if (current.getAttribute('aria-invalid') === 'true') setError(current, null);
  });
  passwordForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void once(passwordForm, async () => {
      setError(current, current.value === '' ? 'Введите текущий пароль.' : null);
      setError(password, checkPassword(password.value, account));
      setError(confirmation, checkConfirmation(password.value, confirmation.value));
      if (focusFirstInvalid(passwordForm)) {
        setStatus(passwordStatus, 'Проверьте поля, отмеченные ниже.', 'error');
        return;
      }
      setStatus(passwordStatus, 'Меняем пароль…', 'info');
      const result = await post('/api/settings/password', {
        current_password: current.value,
        password: password.value,
        password_confirm: confirmation.value,
      });
      if (sessionEnded(result)) return;
      if (result.ok) {
        passwordForm.reset();
        password.dispatchEvent(new Event('input'));
        setStatus(passwordStatus, 'Пароль изменён. На других устройствах нужно будет войти заново.', 'ok');
        return;
      }
      const orphans = showFieldErrors(passwordForm, result.body.fields);
      setStatus(passwordStatus, [statusMessage(result.body), ...orphans].join(' '), 'error');
      focusFirstInvalid(passwordForm);
    });
  });

  const emailForm = /** @type {HTMLFormElement} */ (byId('email-form'));
  const emailStatus = byId('email-status');
  const email = input(emailForm, 'email');
  const emailError = emailField(email, byId('new_email-suggest'));
  emailForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void once(emailForm, async () => {
      setError(email, emailError());
      if (focusFirstInvalid(emailForm)) {
        setStatus(emailStatus, 'Проверьте адрес.', 'error');
        return;
      }
      setStatus(emailStatus, 'Отправляем письмо…', 'info');
      const result = await post('/api/settings/email', { email: email.value.trim() });
      if (sessionEnded(result)) return;
      if (result.ok) {
        emailForm.reset();
        setStatus(emailStatus, 'Мы отправили письмо со ссылкой на новый адрес. Адрес сменится, когда вы перейдёте по ссылке.', 'ok');
        return;
      }
      const orphans = showFieldErrors(emailForm, result.body.fields);
      setStatus(emailStatus, [statusMessage(result.body), ...orphans].join(' '), 'error');
      focusFirstInvalid(emailForm);
    });
  });
}

if (me !== null) {
  const loaded = await get('/api/settings');
  if (loaded.ok) {
    show(/** @type {Settings} */ (loaded.body));
  } else if (!sessionEnded(loaded)) {
    setStatus(loading, loaded.body.message, 'error');
  }
}
