// «Регистрация» (R1–R5): the form checks as the person types (the guide's four common
// mistakes: brackets, a number pasted from Word, password ≠ confirmation, a mail domain
// typo), the server decides, its field errors are shown at their fields, and any failure shows
// the support contacts. On success the form gives way to «Регистрация почти завершена» and a
// button that mails the activation link again.

import { post } from './api.js';
import {
  accountField, byId, emailField, focusFirstInvalid, input, once, setError, setStatus,
  showFieldErrors, showPasswords, statusMessage, strengthMeter,
} from './form.js';
import { initSession } from './session.js';
import { checkConfirmation, checkPassword, typedAccount } from './validate.js';

void initSession();

const form = /** @type {HTMLFormElement} */ (byId('register-form'));
const status = byId('register-status');
const support = byId('register-support');
const account = input(form, 'account');
const password = input(form, 'password');
const confirmation = input(form, 'password_confirm');
const email = input(form, 'email');
const address = input(form, 'address');
const consent = input(form, 'consent');

const accountError = accountField(account);
const emailError = emailField(email, byId('email-suggest'));
strengthMeter(password, byId('password-strength'));
showPasswords(/** @type {HTMLInputElement} */ (byId('show-password')), [password, confirmation]);

/** The account number as the page understands it, for the «not the account number» check. */
const accountDigits = () => {
  const typed = typedAccount(account.value);
  return typed.ok ? typed.account : null;
};

password.addEventListener('input', () => {
  if (password.getAttribute('aria-invalid') === 'true') setError(password, checkPassword(password.value, accountDigits()));
  if (confirmation.value !== '' && (confirmation.getAttribute('aria-invalid') === 'true' || confirmation.value.length >= password.value.length)) {
    setError(confirmation, checkConfirmation(password.value, confirmation.value));
  }
});
password.addEventListener('blur', () => {
  if (password.value !== '') setError(password, checkPassword(password.value, accountDigits()));
});
confirmation.addEventListener('input', () => {
  // Say «не совпадают» once the confirmation is as long as the password, not at every letter.
  if (confirmation.getAttribute('aria-invalid') === 'true' || confirmation.value.length >= password.value.length) {
    setError(confirmation, confirmation.value === '' ? null : checkConfirmation(password.value, confirmation.value));
  }
});
confirmation.addEventListener('blur', () => {
  if (confirmation.value !== '') setError(confirmation, checkConfirmation(password.value, confirmation.value));
});
address.addEventListener('input', () => {
  if (address.getAttribute('aria-invalid') === 'true') setError(address, null);
});
consent.addEventListener('change', () => {
  if (consent.checked) setError(consent, null);
});

const showSupport = () => {
  support.hidden = false;
};

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void once(form, submit);
});

async function submit() {
  /** @type {Array<[HTMLInputElement, string | null]>} */
  const checks = [
    [account, accountError()],
    [password, checkPassword(password.value, accountDigits())],
    [confirmation, checkConfirmation(password.value, confirmation.value)],
    [email, emailError()],
    [address, address.value.trim() === '' ? 'Укажите адрес дома или квартиры, как в счёте.' : null],
    [consent, consent.checked ? null : 'Без согласия на обработку персональных данных зарегистрироваться нельзя.'],
  ];
  for (const [field, message] of checks) setError(field, message);
  if (checks.some(([, message]) => message)) {
    setStatus(status, 'Проверьте поля, отмеченные ниже.', 'error');
    showSupport();
    focusFirstInvalid(form);
    return;
  }

  setStatus(status, 'Отправляем данные…', 'info');
  const result = await post('/api/register', {
    account: account.value,
    password: password.value,
    password_confirm: confirmation.value,
    email: email.value.trim(),
    address: address.value.trim(),
    consent: consent.checked,
  });
  if (result.ok) {
    done(String(result.body.account ?? account.value), String(result.body.email ?? email.value.trim()), result.body.mail_sent !== false);
    return;
  }
  showSupport();
  const orphans = showFieldErrors(form, result.body.fields);
  setStatus(status, [statusMessage(result.body), ...orphans].join(' '), 'error');
  if (result.status === 409) {
    // Already registered: the way forward is to log in or to recover the password.
    status.append(' ');
    const login = document.createElement('a');
    login.href = '/login.html';
    login.textContent = 'Войти в систему';
    const forgot = document.createElement('a');
    forgot.href = '/forgot.html';
    forgot.textContent = 'Забыли пароль?';
    status.append(login, ' · ', forgot);
  }
  focusFirstInvalid(form);
}

/**
 * @param {string} registeredAccount @param {string} registeredEmail @param {boolean} mailSent
 */
function done(registeredAccount, registeredEmail, mailSent) {
  form.hidden = true;
  support.hidden = true;
  const section = byId('register-done');
  byId('register-done-text').textContent = mailSent
    ? `Мы отправили письмо на ${registeredEmail}. Откройте его и перейдите по ссылке, чтобы активировать личный кабинет.`
    : `Письмо на ${registeredEmail} сейчас отправить не удалось. Нажмите «Отправить письмо ещё раз» через несколько минут: по ссылке из письма личный кабинет активируется.`;
  section.hidden = false;
  byId('register-done-title').focus();

  const resend = /** @type {HTMLButtonElement} */ (byId('resend'));
  const resendStatus = byId('resend-status');
  resend.addEventListener('click', async () => {
    if (resend.getAttribute('aria-disabled') === 'true') return;
    resend.setAttribute('aria-disabled', 'true');
    setStatus(resendStatus, 'Отправляем письмо…', 'info');
    const result = await post('/api/activation/resend', { account: registeredAccount, email: registeredEmail });
    resend.removeAttribute('aria-disabled');
    if (result.ok) {
      setStatus(resendStatus, `Письмо отправлено ещё раз на ${registeredEmail}. Если его нет через несколько минут, проверьте папку «Спам».`, 'ok');
    } else {
      setStatus(resendStatus, result.body.message, 'error');
      support.hidden = false;
    }
  });
}
