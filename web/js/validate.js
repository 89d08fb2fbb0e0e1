// The registration and login checks the page runs as a person types. The server decides (it
// runs the same rules again); these only say early and precisely what it would say. Pure
// functions, no DOM: the browser tests import this module in Node too.
//
// The character classes copy shared/domain/src/identity/input/text.rs one to one, and the
// account number rules copy input/typed_account.rs, so both sides agree on every character.

/** The fewest and the most digits an account number has (shared/domain/src/account.rs). */
export const MIN_DIGITS = 4;
export const MAX_DIGITS = 16;
/** The shortest password the server accepts. */
export const MIN_PASSWORD = 8;

/**
 * Whitespace of any kind: exactly Unicode's White_Space property (NBSP and the typographic
 * spaces included).
 * @param {string} c one code point
 */
export function isSpace(c) {
  const code = c.codePointAt(0) ?? 0;
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/**
 * Characters that take no room on screen and that Word, PDF viewers and web pages slip into
 * copied text: zero-width spaces and joiners, bidirectional marks, the soft hyphen, the BOM.
 * @param {string} c one code point
 */
export function isInvisible(c) {
  const code = c.codePointAt(0) ?? 0;
  return (
    code === 0xad ||
    code === 0x180e ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2064) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

/**
 * Text without invisible characters and without whitespace at either end.
 * @param {string} text
 */
export function cleanEdges(text) {
  const chars = [...text].filter((c) => !isInvisible(c));
  let start = 0;
  let end = chars.length;
  while (start < end && isSpace(chars[start])) start++;
  while (end > start && isSpace(chars[end - 1])) end--;
  return chars.slice(start, end).join('');
}

/** @type {Record<string, string>} A letter or sign mistaken for a digit → the digit. */
const LOOK_ALIKE = {
  'О': '0', 'о': '0', 'O': '0', 'o': '0',
  'З': '3', 'з': '3',
  'l': '1', 'I': '1', '|': '1', 'І': '1', 'ӏ': '1',
  'Б': '6', 'б': '6',
  'Ч': '4', 'ч': '4',
};

/** @param {string} c */
function scriptOf(c) {
  if (/\p{Script=Cyrillic}/u.test(c)) return 'русская буква';
  if (/\p{Script=Latin}/u.test(c)) return 'латинская буква';
  return /\p{Alphabetic}/u.test(c) ? 'буква' : 'знак';
}

/**
 * How a character is shown inside «» in a message: itself when printable, its code point
 * when it would be invisible or confusing on screen.
 * @param {string} c
 */
export function shown(c) {
  if (/\p{Cc}/u.test(c) || isSpace(c) || isInvisible(c)) {
    return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return c;
}

/**
 * The Russian noun form for n: one (1, 21…), few (2–4, 22–24…), many (the rest).
 * @param {number} n @param {string} one @param {string} few @param {string} many
 */
export function pluralRu(n, one, few, many) {
  const d = n % 10;
  const h = n % 100;
  if (h >= 11 && h <= 14) return many;
  if (d === 1) return one;
  if (d >= 2 && d <= 4) return few;
  return many;
}

/**
 * @typedef {'spaces' | 'invisible' | 'brackets' | 'separators'} Cleanup
 * @typedef {'empty' | 'length' | 'look_alike' | 'letter' | 'foreign_digit' | 'unexpected'} AccountProblem
 * @typedef {{ok: true, account: string, changed: boolean, removed: Cleanup[], message: string | null}
 *         | {ok: false, account: null, changed: boolean, removed: Cleanup[], message: string, problem: AccountProblem}} TypedAccount
 */

/** @type {Record<Cleanup, string>} */
const REMOVED_RU = {
  spaces: 'пробелы',
  invisible: 'невидимые символы',
  brackets: 'скобки',
  separators: 'тире, точки и косые черты между цифрами',
};

/**
 * An account number as a person types or pastes it. Spaces, invisible characters, brackets
 * and separators between digits are removed and reported (`changed`, and `message` says how
 * the number is understood); a letter or any other sign is refused with a message naming it
 * and its place among the visible characters.
 *
 * @param {string} input
 * @returns {TypedAccount}
 */
export function typedAccount(input) {
  const chars = [...input];
  const visible = chars.filter((c) => !isSpace(c) && !isInvisible(c));
  /** @type {Cleanup[]} */
  const removed = [];
  const note = (/** @type {Cleanup} */ kind) => {
    if (!removed.includes(kind)) removed.push(kind);
  };
  for (const c of chars) {
    if (isSpace(c)) note('spaces');
    else if (isInvisible(c)) note('invisible');
  }
  /**
   * @param {AccountProblem} problem @param {string} message
   * @returns {TypedAccount}
   */
  const refuse = (problem, message) => ({ ok: false, account: null, changed: removed.length > 0, removed, message, problem });

  let digits = '';
  for (let index = 0; index < visible.length; index++) {
    const c = visible[index];
    const position = index + 1;
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if ('()[]{}'.includes(c)) {
      note('brackets');
    } else if ('-–—./'.includes(c) && digits !== '' && visible.slice(index).some((v) => v >= '0' && v <= '9')) {
      note('separators');
    } else if (c in LOOK_ALIKE) {
      return refuse('look_alike', `На месте цифры ${LOOK_ALIKE[c]} стоит ${scriptOf(c)} «${c}» (${position}-й знак номера). Введите номер цифрами.`);
    } else if (/\p{N}/u.test(c)) {
      return refuse('foreign_digit', `Цифра «${c}» (${position}-й знак) набрана другим шрифтом. Наберите номер цифрами с клавиатуры.`);
    } else if (/\p{Alphabetic}/u.test(c)) {
      return refuse('letter', `В номере лицевого счёта есть буква «${c}» (${position}-й знак). Номер состоит только из цифр.`);
    } else {
      return refuse('unexpected', `В номере лицевого счёта лишний знак «${shown(c)}» (${position}-й). Введите только цифры.`);
    }
  }
  if (digits === '') return refuse('empty', 'Введите номер лицевого счёта. Он указан в квитанции.');
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) {
    const size = digits.length < MIN_DIGITS ? 'мало' : 'много';
    const noun = pluralRu(digits.length, 'цифра', 'цифры', 'цифр');
    return refuse('length', `В номере ${digits.length} ${noun} — это слишком ${size}. Проверьте номер по квитанции.`);
  }
  if (removed.length === 0) return { ok: true, account: digits, changed: false, removed, message: null };
  const what = removed.map((r) => REMOVED_RU[r]).join(', ');
  const hint = removed.includes('brackets') ? ': номер лицевого счёта вводится без скобок' : '';
  return { ok: true, account: digits, changed: true, removed, message: `Номер будет принят как ${digits} (убраны ${what}${hint}).` };
}

/**
 * The mail domains people mean, in the order a tie is settled.
 */
export const KNOWN_DOMAINS = Object.freeze([
  'mail.ru', 'list.ru', 'bk.ru', 'inbox.ru', 'internet.ru',
  'yandex.ru', 'ya.ru', 'yandex.com',
  'rambler.ru', 'lenta.ru', 'autorambler.ru', 'myrambler.ru', 'ro.ru',
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com',
  'icloud.com', 'me.com', 'yahoo.com', 'proton.me', 'protonmail.com', 'aol.com',
  'mail.com', 'gmx.com', 'gmx.de', 'ukr.net', 'tut.by', 'yandex.by', 'yandex.kz', 'yandex.ua',
]);

/**
 * The Damerau–Levenshtein distance (optimal string alignment: insertions, deletions,
 * substitutions and swaps of two neighbours, each costing 1).
 * @param {string} a @param {string} b
 */
export function editDistance(a, b) {
  const s = [...a];
  const t = [...b];
  /** @type {number[][]} */
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[s.length][t.length];
}

/** Real mail domains close enough to a common one to be taken for its typo. */
const NOT_TYPOS = Object.freeze(['inbox.lv', 'mail.ee']);

/**
 * The common domain `domain` is a likely typo of: each tolerates one slip, or two when it has
 * 8 characters or more; the closest wins, and a tie goes to the one listed first.
 * @param {string} domain lower case
 * @returns {string | null}
 */
function closestDomain(domain) {
  if (KNOWN_DOMAINS.includes(domain) || NOT_TYPOS.includes(domain)) return null;
  /** @type {string | null} */
  let best = null;
  let bestDistance = Infinity;
  for (const known of KNOWN_DOMAINS) {
    const limit = [...known].length >= 8 ? 2 : 1;
    const distance = editDistance(domain, known);
    if (distance <= limit && distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The address the person probably meant when the domain is one typo away from a common mail
 * domain (two for domains of 8 characters or more): `sidor_ivanov@lst.ru` →
 * `sidor_ivanov@list.ru`. `null` for a known domain or nothing close.
 * @param {string} email
 * @returns {string | null}
 */
export function suggestEmail(email) {
  const trimmed = cleanEdges(email);
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return null;
  const best = closestDomain(trimmed.slice(at + 1).toLowerCase());
  return best === null ? null : `${trimmed.slice(0, at)}@${best}`;
}

/** The longest address, local part and domain label (shared/domain/src/identity/input/email.rs). */
export const MAX_EMAIL = 254;
export const MAX_LOCAL = 64;
export const MAX_LABEL = 63;

/** @param {string} c */
const isAtext = (c) => /^[A-Za-z0-9]$/.test(c) || "!#$%&'*+-/=?^_`{|}~".includes(c);

/**
 * What is wrong with a typed e-mail address, in the server's words; `null` when the server
 * will take it. Copies parse_email of shared/domain/src/identity/input/email.rs: the first
 * problem found is named. Invisible characters and spaces at the ends do not count.
 * @param {string} email
 * @returns {string | null}
 */
export function checkEmail(email) {
  const text = cleanEdges(email);
  if (text === '') return 'Введите адрес электронной почты.';
  if ([...text].length > MAX_EMAIL) return `Адрес электронной почты слишком длинный: в нём может быть не больше ${MAX_EMAIL} знаков.`;
  if ([...text].some(isSpace)) return 'В адресе электронной почты не должно быть пробелов.';
  const ats = text.split('@').length - 1;
  if (ats === 0) return 'В адресе нет знака @. Адрес выглядит так: ivanov@mail.ru.';
  if (ats > 1) return 'В адресе должен быть только один знак @.';
  const [local, typedDomain] = text.split('@');
  if (local === '') return 'Перед знаком @ должно стоять имя почтового ящика, например ivanov@mail.ru.';
  const bad = [...local].find((c) => !isAtext(c) && c !== '.');
  if (bad !== undefined) {
    return /[\u0400-\u04ff]/.test(bad)
      ? `Перед знаком @ русские буквы не подходят (стоит «${bad}»). Возможно, включена русская раскладка клавиатуры.`
      : `Перед знаком @ не может стоять знак «${shown(bad)}». Можно латинские буквы, цифры, точку, дефис и подчёркивание.`;
  }
  if (local.length > MAX_LOCAL) return `Имя почтового ящика перед знаком @ слишком длинное: не больше ${MAX_LOCAL} знаков.`;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'Перед знаком @ точка не может стоять первой, последней или две точки подряд.';
  }
  const domain = typedDomain.toLowerCase();
  if (domain === '') return 'После @ должен быть домен, например mail.ru.';
  const wrong = [...domain].find((c) => !(/^[\p{Alphabetic}\p{N}]$/u.test(c) || c === '-' || c === '.'));
  if (wrong === ',') return 'После @ вместо запятой нужна точка, например mail.ru.';
  if (wrong !== undefined) return `После @ не может стоять знак «${shown(wrong)}». Домен пишется так: mail.ru.`;
  if (domain.endsWith('.') && !domain.slice(0, -1).split('.').some((l) => l === '')) return 'Уберите точку в конце адреса.';
  const labels = domain.split('.');
  if (labels.some((l) => l === '')) return 'После @ не может сразу стоять точка или две точки подряд. Домен пишется так: mail.ru.';
  if (labels.length < 2) {
    const common = closestDomain(domain);
    return common
      ? `В домене после @ не хватает точки. Возможно, вы имели в виду ${local}@${common}?`
      : 'В домене после @ не хватает точки, например mail.ru.';
  }
  if (labels.some((l) => l.startsWith('-') || l.endsWith('-'))) return 'В домене после @ дефис не может стоять рядом с точкой, в начале или в конце.';
  if (labels.some((l) => [...l].length > MAX_LABEL)) return 'Домен после @ слишком длинный. Проверьте адрес.';
  if (/^[\p{N}-]+$/u.test(labels[labels.length - 1])) return 'Домен должен заканчиваться буквами, например .ru или .com.';
  return null;
}

/** The longest password the server accepts. */
export const MAX_PASSWORD = 128;
/** Characters that may be added to the account number before a password stops being "it". */
const ACCOUNT_SLACK = 2;

/** @param {string} needle @param {string} haystack */
function isSubsequence(needle, haystack) {
  const rest = [...haystack];
  let i = 0;
  for (const n of needle) {
    while (i < rest.length && rest[i] !== n) i++;
    if (i === rest.length) return false;
    i++;
  }
  return true;
}

/**
 * The rules of a new password that need no account: empty, spaces only, length. Copies
 * check_without_account of shared/domain/src/identity/input/password.rs.
 * @param {string} password
 * @returns {string | null}
 */
function checkWithoutAccount(password) {
  if (password === '') return 'Введите пароль.';
  const chars = [...password];
  if (chars.every(isSpace)) return 'Пароль не может состоять из одних пробелов.';
  if (chars.length < MIN_PASSWORD) {
    return `Пароль слишком короткий: нужно не меньше ${MIN_PASSWORD} знаков, а в нём ${chars.length} ${pluralRu(chars.length, 'знак', 'знака', 'знаков')}.`;
  }
  if (chars.length > MAX_PASSWORD) return `Пароль слишком длинный: в нём может быть не больше ${MAX_PASSWORD} знаков.`;
  return null;
}

/** @type {readonly string[]} index = score */
export const STRENGTH_LABELS = Object.freeze(['слабый', 'слабый', 'средний', 'хороший', 'надёжный']);

/**
 * The strength meter's score, 0–4, by the server's rule (shared/domain/src/identity/input/
 * strength.rs): 0 for what the rules refuse; otherwise by length (8–9 → 1, 10–11 → 2,
 * 12–15 → 3, 16+ → 4), one more for three or more kinds of characters (lower case and
 * caseless letters, upper case, digits, anything else), one less for a single kind; 1 when
 * fewer than 4 different characters are used; clamped to 1–4. The page does not have the
 * server's list of common passwords, so those score here as their length and kinds say, and
 * the server refuses them on sending.
 * @param {string} password
 * @returns {{score: number, label: string}}
 */
export function passwordStrength(password) {
  if (checkWithoutAccount(password)) return { score: 0, label: STRENGTH_LABELS[0] };
  const chars = [...password];
  const n = chars.length;
  const byLength = n <= 9 ? 1 : n <= 11 ? 2 : n <= 15 ? 3 : 4;
  const lower = (/** @type {string} */ c) => /\p{Lowercase}/u.test(c) || (/\p{Alphabetic}/u.test(c) && !/\p{Uppercase}/u.test(c));
  const kinds = [
    chars.some(lower),
    chars.some((c) => /\p{Uppercase}/u.test(c)),
    chars.some((c) => /\p{N}/u.test(c)),
    chars.some((c) => !/[\p{Alphabetic}\p{N}]/u.test(c)),
  ].filter(Boolean).length;
  const bonus = kinds === 1 ? -1 : kinds >= 3 ? 1 : 0;
  const score = new Set(chars).size < 4 ? 1 : Math.min(4, Math.max(1, byLength + bonus));
  return { score, label: STRENGTH_LABELS[score] };
}

/**
 * Why a new password will be refused; `null` when the page sees nothing wrong. Copies
 * check_new_password of shared/domain/src/identity/input/password.rs except the list of
 * common passwords, which only the server has.
 * @param {string} password
 * @param {string | null} [account] the account number, digits only, when known
 * @returns {string | null}
 */
export function checkPassword(password, account) {
  const problem = checkWithoutAccount(password);
  if (problem) return problem;
  if (account && [...password].length <= account.length + ACCOUNT_SLACK) {
    const reversed = [...account].reverse().join('');
    if (isSubsequence(account, password) || isSubsequence(reversed, password)) {
      return 'Пароль не должен повторять номер лицевого счёта: его легко угадать.';
    }
  }
  return null;
}

/**
 * The confirmation check: `null` when it matches.
 * @param {string} password @param {string} confirmation
 * @returns {string | null}
 */
export function checkConfirmation(password, confirmation) {
  if (confirmation === '') return 'Введите пароль ещё раз.';
  return password === confirmation ? null : 'Пароль и подтверждение не совпадают. Введите пароль ещё раз.';
}

/**
 * The token of a mailed link, from the address's fragment: `#token=abc` → `abc`.
 * @param {string} hash location.hash
 * @returns {string | null}
 */
export function tokenFromHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  return token && token.trim() !== '' ? token.trim() : null;
}

/**
 * A safe place to go after login: only one of our own pages, never another site.
 * @param {string | null} next
 */
export function safeNext(next) {
  // One of our pages, with at most a plain query (a receipt's id, a date range).
  return next && /^\/[a-z-]*(\.html)?(\?[A-Za-z0-9=&_.-]{1,200})?$/.test(next) ? next : '/';
}
