// «Вход» (R6): the full account number (the same live cleanup as at registration) and the
// password, button «Войти в систему». A wrong pair, an account not yet activated (with a form
// that mails the activation link again) and too many attempts each get their own message.

import { post } from './api.js';
import {
  accountField, byId, emailField, focusFirstInvalid, input, once, setError, setStatus,
  showFieldErrors, showPasswords, statusMessage,
} from './form.js';
import { initSession } from './session.js';
import { checkEmail, safeNext, typedAccount } from './validate.js';

void initSession();

const form = /** @type {HTMLFormElement} */ (byId('login-form'));
const status = byId('login-status');
const account = input(form, 'account');
const password = input(form, 'password');
const accountError = accountField(account);
showPasswords(/** @type {HTMLInputElement} */ (byId('show-password')), [password]);

const notActivated = byId('not-activated');
const resendForm = /** @type {HTMLFormElement} */ (byId('resend-form'));
const resendEmail = input(resendForm, 'email');
const resendStatus = byId('resend-status');
emailField(resendEmail, byId('resend-email-suggest'));

password.addEventListener('input', () => {
  if (password.getAttribute('aria-invalid') === 'true' && password.value !== '') setError(password, null);
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void once(form, submit);
});

async function submit() {
  setError(account, accountError());
  setError(password, password.value === '' ? 'Введите пароль.' : null);
  if (focusFirstInvalid(form)) {
    setStatus(status, 'Проверьте поля, отмеченные ниже.', 'error');
    return;
  }
  notActivated.hidden = true;
  setStatus(status, 'Входим…', 'info');
  const result = await post('/api/login', { account: account.value, password: password.value });
  if (result.ok) {
    setStatus(status, 'Вход выполнен.', 'ok');
    location.assign(safeNext(new URLSearchParams(location.search).get('next')));
    return;
  }
  const orphans = showFieldErrors(form, result.body.fields);
  setStatus(status, [statusMessage(result.body), ...orphans].join(' '), 'error');
  if (focusFirstInvalid(form)) return;
  if (result.body.error === 'not_activated') {
    setStatus(status, null);
    byId('not-activated-text').textContent = result.body.message;
    setStatus(resendStatus, null);
    notActivated.hidden = false;
    byId('not-activated-title').focus();
  } else if (result.body.error === 'login_failed') {
    password.value = '';
    password.focus();
  }
}

resendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void once(resendForm, async () => {
    const problem = checkEmail(resendEmail.value);
    setError(resendEmail, problem);
    if (problem) {
      resendEmail.focus();
      return;
    }
    const typed = typedAccount(account.value);
    setStatus(resendStatus, 'Отправляем письмо…', 'info');
    const result = await post('/api/activation/resend', {
      account: typed.ok ? typed.account : account.value,
      email: resendEmail.value.trim(),
    });
    if (result.ok) {
      setStatus(resendStatus, 'Если этот адрес указан при регистрации, мы отправили на него новое письмо со ссылкой для активации. Проверьте почту, в том числе папку «Спам».', 'ok');
    } else {
      showFieldErrors(resendForm, result.body.fields);
      setStatus(resendStatus, statusMessage(result.body), 'error');
    }
  });
});
