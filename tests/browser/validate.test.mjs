// Unit tests of web/js/validate.js, the checks the registration and login pages run as a
// person types. The account number cases mirror shared/domain/src/identity/input/
// typed_account_tests.rs, so the page and the server agree. Runs in Node, no browser.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  KNOWN_DOMAINS, checkConfirmation, checkEmail, checkPassword, editDistance, passwordStrength,
  pluralRu, safeNext, suggestEmail, tokenFromHash, typedAccount,
} from '../../web/js/validate.js';

/** @param {string} input */
function accepted(input) {
  const typed = typedAccount(input);
  assert.ok(typed.ok, `${JSON.stringify(input)} refused: ${typed.message}`);
  return typed;
}

/** @param {string} input */
function refused(input) {
  const typed = typedAccount(input);
  assert.ok(!typed.ok, `${JSON.stringify(input)} accepted as ${typed.account}`);
  return typed;
}

describe('typedAccount', () => {
  test('plain digits are kept as they are, with nothing to say', () => {
    assert.deepEqual(typedAccount('180211111'), { ok: true, account: '180211111', changed: false, removed: [], message: null });
  });

  test('the guide example (180)211111 is understood as 180211111', () => {
    const typed = accepted('(180)211111');
    assert.equal(typed.account, '180211111');
    assert.deepEqual(typed.removed, ['brackets']);
    assert.equal(typed.message, 'Номер будет принят как 180211111 (убраны скобки: номер лицевого счёта вводится без скобок).');
  });

  test('what Word and web pages paste is removed and reported', () => {
    /** @type {Array<[string, string[]]>} */
    const cases = [
      [' 180 211 111 ', ['spaces']],
      ['180\u00a0211\u202f111\u3000', ['spaces']],
      ['\ufeff180\u200b211111\u2060', ['invisible']],
      ['\u200e180211111\u200f\u00ad', ['invisible']],
      ['[180] {211111}', ['spaces', 'brackets']],
      ['180-211-111', ['separators']],
      ['180–211—111', ['separators']],
      ['180.211/111', ['separators']],
    ];
    for (const [input, removed] of cases) {
      const typed = accepted(input);
      assert.equal(typed.account, '180211111', JSON.stringify(input));
      assert.deepEqual([...typed.removed].sort(), [...removed].sort(), JSON.stringify(input));
      assert.ok(typed.changed);
      assert.match(typed.message ?? '', /^Номер будет принят как 180211111 \(убраны /);
    }
  });

  test('changes are reported in the order first met', () => {
    assert.deepEqual(accepted(' (180) 211-111').removed, ['spaces', 'brackets', 'separators']);
    assert.equal(accepted('180\u00a0211\u200b111').message, 'Номер будет принят как 180211111 (убраны пробелы, невидимые символы).');
  });

  test('letters that look like digits are named with the digit and the place', () => {
    /** @type {Array<[string, string, string, number]>} */
    const cases = [
      ['18О211111', 'О', '0', 3],
      ['18o211111', 'o', '0', 3],
      ['З80211111', 'З', '3', 1],
      ['180 2l1111', 'l', '1', 5],
      ['180211I11', 'I', '1', 7],
      ['(18|)211111', '|', '1', 4],
      ['1802111б1', 'б', '6', 8],
      ['18Ч', 'Ч', '4', 3],
    ];
    for (const [input, found, digit, position] of cases) {
      const typed = refused(input);
      assert.equal(typed.ok ? '' : typed.problem, 'look_alike', input);
      assert.ok(typed.message.includes(`На месте цифры ${digit} стоит`), `${input}: ${typed.message}`);
      assert.ok(typed.message.includes(`«${found}» (${position}-й знак номера)`), `${input}: ${typed.message}`);
    }
  });

  test('the Cyrillic and the Latin O are told apart', () => {
    assert.equal(refused('18О211111').message, 'На месте цифры 0 стоит русская буква «О» (3-й знак номера). Введите номер цифрами.');
    assert.equal(refused('18O211111').message, 'На месте цифры 0 стоит латинская буква «O» (3-й знак номера). Введите номер цифрами.');
    assert.equal(refused('|80211111').message, 'На месте цифры 1 стоит знак «|» (1-й знак номера). Введите номер цифрами.');
  });

  test('positions count the visible characters only', () => {
    assert.match(refused('\u200b 1\u00a08\ufeffО').message, /\(3-й знак номера\)/);
  });

  test('other letters, signs and digits of other scripts are refused by name', () => {
    /** @type {Array<[string, string, string]>} */
    const cases = [
      ['18Ж211111', 'letter', 'В номере лицевого счёта есть буква «Ж» (3-й знак). Номер состоит только из цифр.'],
      ['a180211111', 'letter', 'В номере лицевого счёта есть буква «a» (1-й знак). Номер состоит только из цифр.'],
      ['180211111+', 'unexpected', 'В номере лицевого счёта лишний знак «+» (10-й). Введите только цифры.'],
      ['180,211111', 'unexpected', 'В номере лицевого счёта лишний знак «,» (4-й). Введите только цифры.'],
      ['-180211111', 'unexpected', 'В номере лицевого счёта лишний знак «-» (1-й). Введите только цифры.'],
      ['180211111.', 'unexpected', 'В номере лицевого счёта лишний знак «.» (10-й). Введите только цифры.'],
      ['180\u0001211111', 'unexpected', 'В номере лицевого счёта лишний знак «U+0001» (4-й). Введите только цифры.'],
      ['１８０211111', 'foreign_digit', 'Цифра «１» (1-й знак) набрана другим шрифтом. Наберите номер цифрами с клавиатуры.'],
      ['180٢11111', 'foreign_digit', 'Цифра «٢» (4-й знак) набрана другим шрифтом. Наберите номер цифрами с клавиатуры.'],
    ];
    for (const [input, problem, message] of cases) {
      const typed = refused(input);
      assert.equal(typed.ok ? '' : typed.problem, problem, input);
      assert.equal(typed.message, message, input);
    }
  });

  test('empty and wrong lengths', () => {
    assert.equal(refused('').message, 'Введите номер лицевого счёта. Он указан в квитанции.');
    assert.equal(refused(' \u200b() ').message, 'Введите номер лицевого счёта. Он указан в квитанции.');
    assert.equal(refused('(123)').message, 'В номере 3 цифры — это слишком мало. Проверьте номер по квитанции.');
    assert.equal(refused('1'.repeat(17)).message, 'В номере 17 цифр — это слишком много. Проверьте номер по квитанции.');
    assert.equal(accepted('1234').account, '1234');
    assert.equal(accepted('1'.repeat(16)).account, '1'.repeat(16));
  });

  test('noise anywhere leaves the number intact (random cases)', () => {
    const noise = [' ', '\t', '\u00a0', '\u2007', '\u2009', '\u202f', '\u205f', '\u3000', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '(', ')', '[', ']', '{', '}'];
    let seed = 42;
    const random = (/** @type {number} */ n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const length = 4 + random(13);
      const digits = Array.from({ length }, () => String(random(10))).join('');
      const chars = [...digits];
      for (let i = random(12); i > 0; i--) chars.splice(random(chars.length + 1), 0, noise[random(noise.length)]);
      const input = chars.join('');
      assert.equal(accepted(input).account, digits, JSON.stringify(input));
    }
  });
});

describe('suggestEmail', () => {
  test('the guide example lst.ru → list.ru', () => {
    assert.equal(suggestEmail('sidor_ivanov@lst.ru'), 'sidor_ivanov@list.ru');
  });

  test('never for a known domain, whatever the case', () => {
    for (const domain of KNOWN_DOMAINS) {
      assert.equal(suggestEmail(`ivanov@${domain}`), null, domain);
      assert.equal(suggestEmail(`ivanov@${domain.toUpperCase()}`), null, domain);
    }
  });

  test('one typo away: a missing, extra, wrong or swapped letter', () => {
    /** @type {Array<[string, string]>} */
    const cases = [
      ['ivanov@mail.r', 'ivanov@mail.ru'],
      ['ivanov@maill.ru', 'ivanov@mail.ru'],
      ['ivanov@mial.ru', 'ivanov@mail.ru'],
      ['ivanov@yandex.ry', 'ivanov@yandex.ru'],
      ['ivanov@inbox.ry', 'ivanov@inbox.ru'],
      ['ivanov@bk.ry', 'ivanov@bk.ru'],
      ['ivanov@ukr.nte', 'ivanov@ukr.net'],
      ['Ivanov.Petr@LST.RU', 'Ivanov.Petr@list.ru'],
    ];
    for (const [typed, meant] of cases) assert.equal(suggestEmail(typed), meant, typed);
  });

  test('the server\'s cases (shared/domain/src/identity/input/mail_domains.rs)', () => {
    /** @type {Array<[string, string | null]>} */
    const cases = [
      ['sidor_ivanov@lst.ru', 'sidor_ivanov@list.ru'],
      ['Ivanov@mail.ry', 'Ivanov@mail.ru'],
      ['ivanov@gmail.con', 'ivanov@gmail.com'],
      ['ivanov@gmial.com', 'ivanov@gmail.com'],
      ['ivanov@gmail.co', 'ivanov@gmail.com'],
      ['ivanov@yandex.ri', 'ivanov@yandex.ru'],
      ['ivanov@yandx.ru', 'ivanov@yandex.ru'],
      ['ivanov@rambler.ry', 'ivanov@rambler.ru'],
      ['ivanov@ranbler.ru', 'ivanov@rambler.ru'],
      ['ivanov@inbx.ru', 'ivanov@inbox.ru'],
      ['ivanov@mai.ru', 'ivanov@mail.ru'],
      ['ivanov@hotmail.cmo', 'ivanov@hotmail.com'],
      ['ivanov@iclod.com', 'ivanov@icloud.com'],
      ['ivanov@outlok.com', 'ivanov@outlook.com'],
      ['ivanov@yo.ru', 'ivanov@ya.ru'],
      ['ivanov@mailru', 'ivanov@mail.ru'],
      ['ivanov@gmailcom', 'ivanov@gmail.com'],
      ['ivanov@yandexru', 'ivanov@yandex.ru'],
      ['ivanov@company.ru', null],
      ['ivanov@почта.рф', null],
      ['ivanov@kaluga.ru', null],
      ['ivanov@inbox.lv', null],
      ['ivanov@mail.yandex.ru.example.org', null],
      ['\u200b sidor_ivanov@lst.ru\u00a0', 'sidor_ivanov@list.ru'],
    ];
    for (const [typed, meant] of cases) assert.equal(suggestEmail(typed), meant, typed);
  });

  test('two typos only for domains of 8 characters or more', () => {
    assert.equal(suggestEmail('ivanov@gmial.con'), 'ivanov@gmail.com');
    assert.equal(suggestEmail('ivanov@ramblr.ry'), 'ivanov@rambler.ru');
    assert.equal(suggestEmail('ivanov@mali.ry'), null, 'mail.ru has 7 characters: one typo at most');
  });

  test('the closest wins, and a tie goes to the first in the list', () => {
    // yandex.ru and yandex.ua are both one away from yandex.rua; yandex.ru comes first.
    assert.equal(suggestEmail('ivanov@yandex.rua'), 'ivanov@yandex.ru');
    // gmail.ru: mail.ru is one away, gmail.com two.
    assert.equal(suggestEmail('ivanov@gmail.ru'), 'ivanov@mail.ru');
  });

  test('nothing close, or not an address yet', () => {
    for (const typed of ['ivanov@ksk.kaluga.ru', 'ivanov@example.org', 'ivanov', 'ivanov@', '@lst.ru', '']) {
      assert.equal(suggestEmail(typed), null, typed);
    }
  });

  test('the edit distance counts a swap of neighbours as one', () => {
    assert.equal(editDistance('mial.ru', 'mail.ru'), 1);
    assert.equal(editDistance('lst.ru', 'list.ru'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', 'abc'), 0);
    assert.equal(editDistance('ca', 'abc'), 3);
    assert.equal(editDistance('почта.рф', 'почат.рф'), 1);
  });
});

describe('checkEmail (the server\'s parse_email)', () => {
  test('ordinary addresses pass, spaces and invisible characters at the ends too', () => {
    for (const typed of ['ivanov@mail.ru', '  Sidor_Ivanov@List.RU \u00a0', '\u200bivanov@mail.ru\ufeff', 'i.i.ivanov+svet@ksk.kaluga.ru', 'ivanov@почта.рф', 'ivanov@ПОЧТА.РФ', "o'brien@my-mail.co.uk", '1960@xn--80a1acny.xn--p1ai', 'sidor_ivanov@lst.ru']) {
      assert.equal(checkEmail(typed), null, typed);
    }
  });

  test('names the one thing to fix, in the server\'s words', () => {
    /** @type {Array<[string, string]>} */
    const cases = [
      ['', 'Введите адрес электронной почты.'],
      [' \u200b ', 'Введите адрес электронной почты.'],
      [`${'a'.repeat(60)}@${'b'.repeat(200)}.ru`, 'Адрес электронной почты слишком длинный: в нём может быть не больше 254 знаков.'],
      ['ivanov @mail.ru', 'В адресе электронной почты не должно быть пробелов.'],
      ['ivanov@mail. ru', 'В адресе электронной почты не должно быть пробелов.'],
      ['ivanov.mail.ru', 'В адресе нет знака @. Адрес выглядит так: ivanov@mail.ru.'],
      ['ivanov@@mail.ru', 'В адресе должен быть только один знак @.'],
      ['@mail.ru', 'Перед знаком @ должно стоять имя почтового ящика, например ivanov@mail.ru.'],
      ['шмфтщм@mail.ru', 'Перед знаком @ русские буквы не подходят (стоит «ш»). Возможно, включена русская раскладка клавиатуры.'],
      ['iva,nov@mail.ru', 'Перед знаком @ не может стоять знак «,». Можно латинские буквы, цифры, точку, дефис и подчёркивание.'],
      [`${'a'.repeat(65)}@mail.ru`, 'Имя почтового ящика перед знаком @ слишком длинное: не больше 64 знаков.'],
      ['.ivanov@mail.ru', 'Перед знаком @ точка не может стоять первой, последней или две точки подряд.'],
      ['ivanov.@mail.ru', 'Перед знаком @ точка не может стоять первой, последней или две точки подряд.'],
      ['i..ivanov@mail.ru', 'Перед знаком @ точка не может стоять первой, последней или две точки подряд.'],
      ['ivanov@', 'После @ должен быть домен, например mail.ru.'],
      ['ivanov@mail,ru', 'После @ вместо запятой нужна точка, например mail.ru.'],
      ['ivanov@mail_ru.ru', 'После @ не может стоять знак «_». Домен пишется так: mail.ru.'],
      ['ivanov@mail.ru.', 'Уберите точку в конце адреса.'],
      ['ivanov@.mail.ru', 'После @ не может сразу стоять точка или две точки подряд. Домен пишется так: mail.ru.'],
      ['ivanov@mail..ru', 'После @ не может сразу стоять точка или две точки подряд. Домен пишется так: mail.ru.'],
      ['ivanov@mailru', 'В домене после @ не хватает точки. Возможно, вы имели в виду ivanov@mail.ru?'],
      ['ivanov@localhost', 'В домене после @ не хватает точки, например mail.ru.'],
      ['ivanov@-mail.ru', 'В домене после @ дефис не может стоять рядом с точкой, в начале или в конце.'],
      ['ivanov@mail-.ru', 'В домене после @ дефис не может стоять рядом с точкой, в начале или в конце.'],
      [`ivanov@${'b'.repeat(64)}.ru`, 'Домен после @ слишком длинный. Проверьте адрес.'],
      ['ivanov@192.168.0.1', 'Домен должен заканчиваться буквами, например .ru или .com.'],
    ];
    for (const [typed, message] of cases) assert.equal(checkEmail(typed), message, typed);
  });
});

describe('passwords (the server\'s check_new_password and strength)', () => {
  test('strength: the server\'s cases (shared/domain/src/identity/input/strength.rs)', () => {
    /** @type {Array<[string, number]>} */
    const cases = [
      ['', 0],
      ['        ', 0],
      ['Kal2024', 0],
      ['kalugasvet', 1],
      ['kaluga2024', 2],
      ['Kaluga2024!', 3],
      ['9163504172', 1],
      ['aaaaaaaaaaaaaaaa1', 1],
      ['korova-na-lugu', 3],
      ['мояКалуга2024', 4],
      ['zelenaya lampa na stole', 4],
      ['Kaluga-2025!', 4],
      ['я'.repeat(129), 0],
    ];
    for (const [password, score] of cases) assert.equal(passwordStrength(password).score, score, password);
  });

  test('strength labels: 0 and 1 слабый, 2 средний, 3 хороший, 4 надёжный', () => {
    assert.deepEqual(
      ['', 'kaluga2024', 'Kaluga2024!', 'мояКалуга2024'].map((p) => passwordStrength(p).label),
      ['слабый', 'средний', 'хороший', 'надёжный'],
    );
    assert.equal(passwordStrength('kalugasvet').label, 'слабый');
  });

  test('long enough passwords pass, Cyrillic and spaces included', () => {
    for (const password of ['Калуга-2024', 'korova-na-lugu', 'тихий вечер у реки', 'x7#Lq9!v', 'я'.repeat(128), 'абвгдежз']) {
      assert.equal(checkPassword(password, '180211111'), null, password);
    }
  });

  test('empty, blank, short and long passwords, counted in characters', () => {
    assert.equal(checkPassword(''), 'Введите пароль.');
    assert.equal(checkPassword(' \u00a0\t        '), 'Пароль не может состоять из одних пробелов.');
    assert.equal(checkPassword('Кал2024'), 'Пароль слишком короткий: нужно не меньше 8 знаков, а в нём 7 знаков.');
    assert.equal(checkPassword('абв'), 'Пароль слишком короткий: нужно не меньше 8 знаков, а в нём 3 знака.');
    assert.equal(checkPassword('я'.repeat(129)), 'Пароль слишком длинный: в нём может быть не больше 128 знаков.');
  });

  test('the account number and near variants, forwards or backwards', () => {
    for (const password of ['180211111', '180211111!', '!180211111!', '18021111100', '1802a11111', '111112081', '111112081ab']) {
      assert.equal(checkPassword(password, '180211111'), 'Пароль не должен повторять номер лицевого счёта: его легко угадать.', password);
    }
    assert.equal(checkPassword('180211111abc', '180211111'), null);
    assert.equal(checkPassword('180211111', null), null, 'unknown account: only the server can tell');
  });

  test('the confirmation must match exactly', () => {
    assert.equal(checkConfirmation('12345', '12355'), 'Пароль и подтверждение не совпадают. Введите пароль ещё раз.');
    assert.equal(checkConfirmation('Калуга-2024', 'Калуга-2024 '), 'Пароль и подтверждение не совпадают. Введите пароль ещё раз.');
    assert.equal(checkConfirmation('12345', ''), 'Введите пароль ещё раз.');
    assert.equal(checkConfirmation('Калуга-2024', 'Калуга-2024'), null);
  });
});

describe('small helpers', () => {
  test('Russian plurals', () => {
    const forms = (/** @type {number} */ n) => pluralRu(n, 'цифра', 'цифры', 'цифр');
    assert.deepEqual([1, 3, 5, 11, 12, 21, 104].map(forms), ['цифра', 'цифры', 'цифр', 'цифр', 'цифр', 'цифра', 'цифры']);
  });

  test('the token of a mailed link', () => {
    assert.equal(tokenFromHash('#token=abc-DEF_123'), 'abc-DEF_123');
    assert.equal(tokenFromHash('token=abc'), 'abc');
    assert.equal(tokenFromHash(''), null);
    assert.equal(tokenFromHash('#token='), null);
    assert.equal(tokenFromHash('#other=1'), null);
  });

  test('after login only our own pages', () => {
    assert.equal(safeNext('/settings.html'), '/settings.html');
    assert.equal(safeNext('/receipt.html?id=0123abcd'), '/receipt.html?id=0123abcd', 'back to the receipt the link named');
    assert.equal(safeNext('/payments.html?from=2026-01-01&to=2026-03-31'), '/payments.html?from=2026-01-01&to=2026-03-31');
    assert.equal(safeNext(null), '/');
    for (const bad of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/a/b.html', '/receipt.html?next=//evil.example', '/receipt.html?id=<script>', '/receipt.html#x']) {
      assert.equal(safeNext(bad), '/', bad);
    }
  });
});
