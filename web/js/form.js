// Form helpers shared by the pages: field errors and notes linked with aria-describedby, the
// status line, server field errors, the password strength meter, the «show password» switch,
// the e-mail domain suggestion and the live account number check.
//
// Conventions: a field's input has an id X; its hint is X-hint, its note (how the input is
// understood) X-note, its error X-error. The error element is made when first needed.

import { checkEmail, passwordStrength, suggestEmail, typedAccount } from './validate.js';

/**
 * @param {HTMLElement} parent @param {string} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElement}
 */
export function el(parent, tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  parent.append(node);
  return node;
}

/**
 * An input of a form by its name (the API's field name).
 * @param {HTMLFormElement} form @param {string} name
 * @returns {HTMLInputElement}
 */
export function input(form, name) {
  const found = form.elements.namedItem(name);
  if (!(found instanceof HTMLInputElement)) throw new Error(`no input named ${name}`);
  return found;
}

/** @param {string} id */
export function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`no element #${id}`);
  return found;
}

/** Recomputes aria-describedby: the hint, then the note and the error when they have text. */
function describe(/** @type {HTMLInputElement} */ field) {
  const ids = [];
  for (const suffix of ['hint', 'extra', 'note', 'error']) {
    const part = document.getElementById(`${field.id}-${suffix}`);
    if (part && !part.hidden && (part.textContent ?? '').trim() !== '') ids.push(part.id);
  }
  if (ids.length) field.setAttribute('aria-describedby', ids.join(' '));
  else field.removeAttribute('aria-describedby');
}

/**
 * Shows `message` as the field's error (or clears it with null): aria-invalid, the message
 * linked with aria-describedby, a red frame and a «!» mark (not colour alone).
 * @param {HTMLInputElement} field @param {string | null} message
 */
export function setError(field, message) {
  let error = document.getElementById(`${field.id}-error`);
  if (!message) {
    field.removeAttribute('aria-invalid');
    field.closest('.field')?.classList.remove('field--invalid');
    if (error) {
      error.textContent = '';
      error.hidden = true;
    }
    describe(field);
    return;
  }
  if (!error) {
    error = document.createElement('p');
    error.id = `${field.id}-error`;
    error.className = 'field__error';
    (field.closest('.field') ?? field.parentElement ?? document.body).append(error);
  }
  error.textContent = '';
  el(error, 'span', 'visually-hidden', 'Ошибка: ');
  error.append(message);
  error.hidden = false;
  field.setAttribute('aria-invalid', 'true');
  field.closest('.field')?.classList.add('field--invalid');
  describe(field);
}

/**
 * Shows how the input is understood (e.g. «Номер будет принят как 180211111»), or clears it.
 * @param {HTMLInputElement} field @param {string | null} message
 */
export function setNote(field, message) {
  const note = document.getElementById(`${field.id}-note`);
  if (!note) return;
  if ((note.textContent ?? '') !== (message ?? '')) note.textContent = message ?? '';
  describe(field);
}

/** @param {HTMLFormElement} form */
export function clearErrors(form) {
  for (const field of form.querySelectorAll('input[aria-invalid="true"]')) {
    setError(/** @type {HTMLInputElement} */ (field), null);
  }
}

/**
 * Shows the server's field errors at their fields. Messages for fields the form does not have
 * are returned, to be shown in the status line.
 * @param {HTMLFormElement} form @param {Record<string, string> | undefined} fields
 * @returns {string[]}
 */
export function showFieldErrors(form, fields) {
  /** @type {string[]} */
  const orphans = [];
  for (const [name, message] of Object.entries(fields ?? {})) {
    const field = form.elements.namedItem(name);
    if (field instanceof HTMLInputElement) setError(field, message);
    else orphans.push(message);
  }
  return orphans;
}

/**
 * Moves the focus to the first field with an error, in page order.
 * @param {HTMLFormElement} form
 * @returns {boolean} whether there was one
 */
export function focusFirstInvalid(form) {
  const first = form.querySelector('input[aria-invalid="true"]');
  if (first instanceof HTMLInputElement) {
    first.focus();
    return true;
  }
  return false;
}

/**
 * The status line of a form or page: an aria-live region that says what happened.
 * @param {HTMLElement} status
 * @param {string | null} message
 * @param {'error' | 'ok' | 'info'} [kind]
 */
export function setStatus(status, message, kind = 'info') {
  status.classList.remove('status--error', 'status--ok', 'status--info');
  status.textContent = '';
  if (!message) {
    status.hidden = true;
    return;
  }
  status.hidden = false;
  status.classList.add(`status--${kind}`);
  if (kind === 'error') el(status, 'span', 'visually-hidden', 'Ошибка: ');
  status.append(message);
}

/**
 * Runs `send` once at a time for a form (a second press while waiting does nothing) and marks
 * the form busy meanwhile.
 * @param {HTMLFormElement} form
 * @param {() => Promise<void>} send
 */
export async function once(form, send) {
  if (form.getAttribute('aria-busy') === 'true') return;
  form.setAttribute('aria-busy', 'true');
  const buttons = [...form.querySelectorAll('button[type="submit"]')];
  for (const b of buttons) b.setAttribute('aria-disabled', 'true');
  try {
    await send();
  } finally {
    form.removeAttribute('aria-busy');
    for (const b of buttons) b.removeAttribute('aria-disabled');
  }
}

/**
 * The password strength meter: `meter` holds a bar of four segments (coloured by CSS from
 * data-score) and a polite live label «Надёжность пароля: …».
 * @param {HTMLInputElement} field @param {HTMLElement} meter
 */
export function strengthMeter(field, meter) {
  const label = meter.querySelector('.strength__label');
  const update = () => {
    const value = field.value;
    if (value === '') {
      meter.dataset.score = '';
      if (label) label.textContent = '';
      return;
    }
    const { score, label: word } = passwordStrength(value);
    meter.dataset.score = String(score);
    const text = `Надёжность пароля: ${word}`;
    if (label && label.textContent !== text) label.textContent = text;
  };
  field.addEventListener('input', update);
  update();
}

/**
 * A «Показать пароль» checkbox that shows or hides the given password fields.
 * @param {HTMLInputElement} toggle @param {HTMLInputElement[]} fields
 */
export function showPasswords(toggle, fields) {
  const apply = () => {
    for (const f of fields) f.type = toggle.checked ? 'text' : 'password';
  };
  toggle.addEventListener('change', apply);
  apply();
}

/**
 * The live account number check: brackets, spaces and invisible characters are shown as
 * understood in the note; letters and other signs are named in the error as they are typed;
 * a number too short or too long only when the person leaves the field. Spaces and invisible
 * characters in a pasted number are removed from the field at once.
 * @param {HTMLInputElement} field
 * @returns {() => string | null} the error to show on submit, or null
 */
export function accountField(field) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pending;
  const check = (/** @type {boolean} */ leaving, immediate = leaving) => {
    clearTimeout(pending);
    if (field.value.trim() === '' && !leaving) {
      setError(field, null);
      setNote(field, null);
      return;
    }
    const typed = typedAccount(field.value);
    if (typed.ok) {
      setError(field, null);
      // The note is a live region: while the person types, say it once they pause, not at
      // every digit.
      if (immediate || !typed.message) setNote(field, typed.message);
      else pending = setTimeout(() => setNote(field, typed.message), 400);
    } else {
      setNote(field, null);
      const later = typed.problem === 'length' || typed.problem === 'empty';
      setError(field, later && !leaving ? null : field.value === '' ? null : typed.message);
    }
  };
  field.addEventListener('input', (event) => {
    const pasted = event instanceof InputEvent && event.inputType === 'insertFromPaste';
    check(false, pasted);
    const typed = typedAccount(field.value);
    if (pasted && typed.ok && typed.changed && typed.removed.every((r) => r === 'spaces' || r === 'invisible')) {
      // Invisible characters would only confuse later editing; the note still says what
      // was removed until the next keystroke.
      field.value = typed.account;
    }
  });
  field.addEventListener('blur', () => check(true));
  return () => {
    const typed = typedAccount(field.value);
    return typed.ok ? null : typed.message;
  };
}

/**
 * The e-mail field: a domain typo gets «Возможно, вы имели в виду …?» with a button that fixes
 * it in one press. The suggestion appears when the person leaves the field and follows the
 * text while it is shown.
 * @param {HTMLInputElement} field
 * @param {HTMLElement} box the suggestion box (hidden), with .suggest__text and a button
 * @returns {() => string | null} the error to show on submit, or null
 */
export function emailField(field, box) {
  const text = box.querySelector('.suggest__text');
  const button = box.querySelector('button');
  /** @type {string | null} */
  let suggestion = null;
  const show = () => {
    suggestion = suggestEmail(field.value);
    if (!suggestion) {
      box.hidden = true;
      return;
    }
    const domain = suggestion.slice(suggestion.lastIndexOf('@') + 1);
    if (text) text.textContent = `Возможно, вы имели в виду ${suggestion}?`;
    if (button) button.textContent = `Исправить на ${domain}`;
    box.hidden = false;
  };
  field.addEventListener('input', () => {
    if (field.getAttribute('aria-invalid') === 'true' && !checkEmail(field.value)) setError(field, null);
    if (!box.hidden) show();
  });
  field.addEventListener('blur', () => {
    show();
    if (field.value.trim() !== '') setError(field, checkEmail(field.value));
  });
  button?.addEventListener('click', () => {
    if (!suggestion) return;
    field.value = suggestion;
    suggestion = null;
    box.hidden = true;
    setError(field, null);
    field.focus();
  });
  return () => checkEmail(field.value);
}

/**
 * The status line's text for a failed request: for field errors a sentence that points at the
 * fields without relying on colour; otherwise the server's own message.
 * @param {{error: string, message: string, fields?: Record<string, string>}} body
 */
export function statusMessage(body) {
  if (body.error === 'invalid' && body.fields && Object.keys(body.fields).length > 0) {
    return 'Проверьте поля, отмеченные ниже.';
  }
  return body.message;
}
