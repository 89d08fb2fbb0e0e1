// «Активация» (R4): the link in the mail opens this page with #token=…; nothing happens until
// the person presses «Активировать личный кабинет» (mail scanners follow links, and must not
// use up the token). On success the customer is logged in and goes to the main page; a spent
// or expired link offers a new mail.

import { post } from './api.js';
import { accountField, byId, emailField, focusFirstInvalid, input, once, setError, setStatus, showFieldErrors, statusMessage } from './form.js';
import { forgetToken, takeToken } from './link.js';
import { initSession } from './session.js';
import { typedAccount } from './validate.js';

const KEY = 'svet.activate';
const token = takeToken(KEY);
void initSession();

const ready = byId('activate-ready');
const status = byId('activate-status');
const button = /** @type {HTMLButtonElement} */ (byId('activate'));
const resend = byId('activate-resend');
const form = /** @type {HTMLFormElement} */ (byId('resend-form'));
const account = input(form, 'account');
const email = input(form, 'email');
const resendStatus = byId('resend-status');
const accountError = accountField(account);
const emailError = emailField(email, byId('email-suggest'));

/** @param {string} message */
function offerResend(message) {
  ready.hidden = true;
  byId('activate-problem').textContent = message;
  resend.hidden = false;
}

if (!token) {
  offerResend('В ссылке нет кода активации. Откройте ссылку из письма целиком или получите новое письмо.');
}

button.addEventListener('click', async () => {
  if (!token || button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  setStatus(status, 'Активируем…', 'info');
  const result = await post('/api/activate', { token });
  button.removeAttribute('aria-disabled');
  if (result.ok) {
    forgetToken(KEY);
    setStatus(status, 'Личный кабинет активирован. Открываем его…', 'ok');
    location.assign('/');
    return;
  }
  if (result.status === 410) {
    forgetToken(KEY);
    offerResend(result.body.message);
    account.focus();
    return;
  }
  setStatus(status, result.body.message, 'error');
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void once(form, async () => {
    setError(account, accountError());
    setError(email, emailError());
    if (focusFirstInvalid(form)) return;
    const typed = typedAccount(account.value);
    setStatus(resendStatus, 'Отправляем письмо…', 'info');
    const result = await post('/api/activation/resend', { account: typed.ok ? typed.account : account.value, email: email.value.trim() });
    if (result.ok) {
      setStatus(resendStatus, 'Если личный кабинет зарегистрирован на этот адрес и ещё не активирован, мы отправили новое письмо со ссылкой. Проверьте почту, в том числе папку «Спам».', 'ok');
    } else {
      showFieldErrors(form, result.body.fields);
      setStatus(resendStatus, statusMessage(result.body), 'error');
      focusFirstInvalid(form);
    }
  });
});
