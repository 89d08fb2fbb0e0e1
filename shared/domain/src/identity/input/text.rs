//! Character classes and Russian wording shared by the input checks.
//!
//! The classes are explicit code point lists rather than Unicode properties so that the page's
//! JavaScript can copy them one to one and both sides agree on every character.

/// Whitespace of any kind: exactly Unicode's `White_Space` property (ASCII spaces, tabs and
/// line breaks, NBSP, the typographic spaces U+2000–U+200A, narrow NBSP, ideographic space…).
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Characters that take no room on screen and that Word, PDF viewers and web pages slip into
/// copied text: zero-width spaces and joiners, word joiner and invisible operators, the byte
/// order mark, the soft hyphen, the Mongolian vowel separator and the bidirectional marks.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// `text` without invisible characters and without whitespace at either end.
pub(crate) fn clean_edges(text: &str) -> String {
    let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
    visible.trim_matches(is_space).to_owned()
}

/// How a character is shown inside «» in a message: itself when it is printable, its code
/// point when it would be invisible or confusing on screen.
pub(crate) fn shown(c: char) -> String {
    if c.is_control() || is_space(c) || is_invisible(c) {
        format!("U+{:04X}", u32::from(c))
    } else {
        c.to_string()
    }
}

/// The Russian noun form for `n`: `one` for 1, 21, 31…; `few` for 2–4, 22–24…; `many` for
/// the rest (5–20, 25–30…).
pub(crate) fn plural_ru(n: usize, one: &'static str, few: &'static str, many: &'static str) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_are_exactly_unicode_white_space() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_space(c), c.is_whitespace(), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn invisible_characters_are_not_spaces() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|c| is_invisible(*c)) {
            assert!(!is_space(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn counts_in_russian() {
        let forms = |n| plural_ru(n, "цифра", "цифры", "цифр");
        let cases = [(1, "цифра"), (3, "цифры"), (5, "цифр"), (11, "цифр"), (12, "цифр"), (21, "цифра")];
        for (n, form) in cases {
            assert_eq!(forms(n), form, "{n}");
        }
        assert_eq!(forms(104), "цифры");
    }

    #[test]
    fn shows_invisible_characters_by_code() {
        assert_eq!(shown('О'), "О");
        assert_eq!(shown('\u{200b}'), "U+200B");
        assert_eq!(shown('\u{1}'), "U+0001");
    }
}
