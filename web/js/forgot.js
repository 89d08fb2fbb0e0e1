// «Забыли пароль?» (R8): the account number and the registration e-mail, button «Восстановить».
// The answer is always the same, whether or not the pair is known: a stranger learns nothing.

import { post } from './api.js';
import { accountField, byId, emailField, focusFirstInvalid, input, once, setError, setStatus, showFieldErrors, statusMessage } from './form.js';
import { initSession } from './session.js';
import { typedAccount } from './validate.js';

void initSession();

const form = /** @type {HTMLFormElement} */ (byId('forgot-form'));
const status = byId('forgot-status');
const account = input(form, 'account');
const email = input(form, 'email');
const accountError = accountField(account);
const emailError = emailField(email, byId('email-suggest'));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void once(form, async () => {
    setError(account, accountError());
    setError(email, emailError());
    if (focusFirstInvalid(form)) {
      setStatus(status, 'Проверьте поля, отмеченные ниже.', 'error');
      return;
    }
    setStatus(status, 'Отправляем…', 'info');
    const typed = typedAccount(account.value);
    const result = await post('/api/password/forgot', { account: typed.ok ? typed.account : account.value, email: email.value.trim() });
    if (result.ok) {
      form.hidden = true;
      byId('forgot-done').hidden = false;
      byId('forgot-done-title').focus();
      return;
    }
    showFieldErrors(form, result.body.fields);
    setStatus(status, statusMessage(result.body), 'error');
    focusFirstInvalid(form);
  });
});
