//! Address text to canonical tokens: lowercase, ё as е, punctuation as spaces, and every
//! abbreviation in one full form (`ул.` → `улица`, `д12` → `дом 12`, `12 а` → `12а`).
//!
//! The rewriting is idempotent: canonical tokens rewrite to themselves, so the normalised text
//! of a normalised text is the same text. Commas and semicolons only mark where a segment
//! starts (the parser uses them to tell `Ленина ул` from `ул Ленина`); the rewriting itself
//! ignores them, so dropping them changes nothing.

use super::super::text::{is_invisible, is_space};

/// One canonical word or number, and whether a comma or semicolon came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub text: String,
    pub new_segment: bool,
}

/// Letters that follow a house number (`12а`). Others (`2-я`, `3-е`) are endings of ordinal
/// street names and stay apart.
const HOUSE_LETTERS: &str = "абвгджзик";

/// The text in canonical form: tokens separated by single spaces.
pub fn normalize_address(text: &str) -> String {
    let words: Vec<String> = tokens(text).into_iter().map(|t| t.text).collect();
    words.join(" ")
}

/// The canonical tokens of an address.
pub(super) fn tokens(text: &str) -> Vec<Token> {
    let raw = split(text);
    let mut expanded = Vec::new();
    for token in raw {
        expand(token, &mut expanded);
    }
    rewrite(expanded)
}

/// Lowercases and splits at spaces and punctuation, remembering commas and semicolons.
fn split(text: &str) -> Vec<Token> {
    fn flush(word: &mut String, boundary: &mut bool, out: &mut Vec<Token>) {
        if !word.is_empty() {
            out.push(Token { text: std::mem::take(word), new_segment: *boundary });
            *boundary = false;
        }
    }
    let mut out = Vec::new();
    let (mut word, mut boundary) = (String::new(), false);
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            c if is_invisible(c) => {}
            ',' | ';' | '\n' => {
                flush(&mut word, &mut boundary, &mut out);
                boundary = true;
            }
            c if is_space(c) || ".:«»\"'()„“”№#!?".contains(c) => {
                flush(&mut word, &mut boundary, &mut out)
            }
            'ё' => word.push('е'),
            '–' | '—' | '‐' | '‑' | '−' => word.push('-'),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut boundary, &mut out);
    out
}

/// Splits glued forms into separate tokens, repeatedly: `д12` → `д 12`, `12к2` → `12 к 2`,
/// `12-а` → `12а`; trims dashes and slashes at the ends.
fn expand(token: Token, out: &mut Vec<Token>) {
    let text = token.text.trim_matches(|c| c == '-' || c == '/');
    if text.is_empty() {
        return;
    }
    let new_segment = token.new_segment;
    let piece = |text: &str, first: bool| Token { text: text.to_owned(), new_segment: first && new_segment };
    let digits_at = text.find(|c: char| c.is_ascii_digit());
    // A keyword glued to its number: д12, кв5, корп2, с1.
    if let Some(at) = digits_at
        && at > 0
        && matches!(
            &text[..at],
            "д" | "дом" | "кв" | "квартира" | "к" | "корп" | "корпус" | "с" | "стр" | "строение"
        )
    {
        out.push(piece(&text[..at], true));
        return expand(piece(&text[at..], false), out);
    }
    // A house with its building: 12к2, 12астр1.
    if digits_at == Some(0)
        && let Some((house, keyword, number)) = house_and_building(text)
    {
        out.push(piece(house, true));
        out.push(piece(keyword, false));
        out.push(piece(number, false));
        return;
    }
    // A house letter after a dash: 12-а.
    if let Some((number, letter)) = text.split_once('-')
        && is_digits(number)
        && letter.chars().count() == 1
        && HOUSE_LETTERS.contains(letter)
    {
        out.push(piece(&format!("{number}{letter}"), true));
        return;
    }
    out.push(piece(text, true));
}

/// `12к2` → (`12`, `к`, `2`); `12акорп2` → (`12а`, `корп`, `2`); `12кв5` → (`12`, `кв`, `5`).
fn house_and_building(text: &str) -> Option<(&str, &str, &str)> {
    let house_end = text.find(|c: char| !c.is_ascii_digit())?;
    let number_start = text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if number_start <= house_end || number_start == text.len() {
        return None;
    }
    let (middle, number) = (&text[house_end..number_start], &text[number_start..]);
    for keyword in ["корп", "стр", "кв", "к"] {
        if middle == keyword {
            return Some((&text[..house_end], keyword, number));
        }
        if let Some(letter) = middle.strip_suffix(keyword)
            && letter.chars().count() == 1
            && HOUSE_LETTERS.contains(letter)
        {
            return Some((&text[..house_end + letter.len()], keyword, number));
        }
    }
    None
}

/// Replaces abbreviations by their full form and glues house letters to their number.
fn rewrite(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(|t| t.text.as_str());
        let after_number = out.last().is_some_and(|t| is_plain_number(&t.text));
        let text = token.text.as_str();
        if after_number && text.chars().count() == 1 {
            match letter_after_number(text, next) {
                AfterNumber::Glue => {
                    if let Some(last) = out.last_mut() {
                        last.text.push_str(text);
                    }
                    continue;
                }
                AfterNumber::Keyword(word) => {
                    out.push(Token { text: word.to_owned(), new_segment: token.new_segment });
                    continue;
                }
                AfterNumber::Other => {}
            }
        }
        out.push(Token { text: canonical(text, next).to_owned(), new_segment: token.new_segment });
    }
    out
}

enum AfterNumber {
    Glue,
    Keyword(&'static str),
    Other,
}

/// What a single letter right after a plain number is: `12 к 2` (корпус), `5 с 1`
/// (строение), `12 а` (a house letter), `12 г Калуга` (город).
fn letter_after_number(letter: &str, next: Option<&str>) -> AfterNumber {
    let is_house_letter = HOUSE_LETTERS.contains(letter);
    match next {
        Some(n) if starts_with_digit(n) => match letter {
            "к" => AfterNumber::Keyword("корпус"),
            "с" => AfterNumber::Keyword("строение"),
            _ if is_house_letter => AfterNumber::Glue,
            _ => AfterNumber::Other,
        },
        None => {
            if is_house_letter {
                AfterNumber::Glue
            } else {
                AfterNumber::Other
            }
        }
        Some(n) if matches!(canonical(n, None), "квартира" | "корпус" | "строение" | "дом") => {
            if is_house_letter {
                AfterNumber::Glue
            } else {
                AfterNumber::Other
            }
        }
        Some(_) if canonical(letter, next) != letter => AfterNumber::Other,
        Some(_) if is_house_letter => AfterNumber::Glue,
        Some(_) => AfterNumber::Other,
    }
}

/// The full form of an abbreviation; other words as they are. `д` is a house before a number
/// and a village (деревня) before a name.
pub(super) fn canonical<'a>(word: &'a str, next: Option<&str>) -> &'a str {
    match word {
        "г" | "гор" => "город",
        "обл" => "область",
        "р-н" | "р-он" | "рн" => "район",
        "респ" => "республика",
        "ул" => "улица",
        "пер" => "переулок",
        "пр-т" | "пр-кт" | "пркт" | "просп" => "проспект",
        "б-р" | "бул" => "бульвар",
        "ш" => "шоссе",
        "пл" => "площадь",
        "наб" => "набережная",
        "пр-д" => "проезд",
        "туп" => "тупик",
        "мкр" | "мкрн" | "мкр-н" => "микрорайон",
        "пос" | "п" | "пгт" | "рп" => "поселок",
        "с" => "село",
        "дер" => "деревня",
        "д" if next.is_some_and(starts_with_digit) => "дом",
        "д" => "деревня",
        "кв" => "квартира",
        "корп" | "к" => "корпус",
        "стр" => "строение",
        "им" => "имени",
        other => other,
    }
}

fn starts_with_digit(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit())
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A number a house letter may follow: `12`, `12/3`.
fn is_plain_number(text: &str) -> bool {
    match text.split_once('/') {
        Some((a, b)) => is_digits(a) && is_digits(b),
        None => is_digits(text),
    }
}
