//! «Возможно, вы имели в виду list.ru?»: the guide's fourth common mistake is a typo in the
//! mail domain (`lst.ru` for `list.ru`), after which the activation letter never arrives.
//!
//! A domain that is not one of the common ones but is one or two typing slips away from
//! exactly one of them is probably that one. The distance is the optimal string alignment
//! form of Damerau–Levenshtein (insertions, deletions, substitutions and swaps of two
//! neighbours, each counted once), over characters. It is only ever a suggestion: the person
//! may keep what they typed.

use super::email::Email;

/// Common mail domains of Russian households, most common first (the order breaks ties). The
/// page's script copies this list.
pub const COMMON_MAIL_DOMAINS: &[&str] = &[
    "mail.ru",
    "yandex.ru",
    "gmail.com",
    "list.ru",
    "bk.ru",
    "inbox.ru",
    "rambler.ru",
    "ya.ru",
    "internet.ru",
    "yandex.com",
    "icloud.com",
    "outlook.com",
    "hotmail.com",
    "lenta.ru",
    "autorambler.ru",
    "myrambler.ru",
    "ro.ru",
    "live.com",
    "me.com",
    "yahoo.com",
    "proton.me",
    "protonmail.com",
    "googlemail.com",
    "aol.com",
    "mail.com",
    "gmx.com",
    "gmx.de",
    "ukr.net",
    "tut.by",
    "yandex.by",
    "yandex.kz",
    "yandex.ua",
];

/// Real mail domains close enough to a common one to be taken for its typo.
const NOT_TYPOS: &[&str] = &["inbox.lv", "mail.ee"];

/// The corrected address when the domain looks like a typo of a common one, e.g.
/// `sidor_ivanov@lst.ru` → `sidor_ivanov@list.ru`; `None` for a common domain itself and for
/// domains that resemble none (`ksk.kaluga.ru`).
pub fn suggest_domain(email: &Email) -> Option<Email> {
    closest_common_domain(email.domain()).map(|domain| email.with_domain(domain))
}

/// The common domain `domain` is a likely typo of. Each common domain tolerates one slip, or
/// two when it is 8 characters or longer; the closest wins, and among equally close ones the
/// more common (earlier in the list).
pub(crate) fn closest_common_domain(domain: &str) -> Option<&'static str> {
    if COMMON_MAIL_DOMAINS.contains(&domain) || NOT_TYPOS.contains(&domain) {
        return None;
    }
    let mut best: Option<(usize, &'static str)> = None;
    for &common in COMMON_MAIL_DOMAINS {
        let allowed = if common.chars().count() >= 8 { 2 } else { 1 };
        let distance = typo_distance(domain, common);
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, common));
        }
    }
    best.map(|(_, common)| common)
}

/// Optimal string alignment distance between `a` and `b`, over characters.
pub(crate) fn typo_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rows of the classic table: two back, one back, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::super::email::parse_email;
    use super::*;

    fn suggestion(address: &str) -> Option<String> {
        suggest_domain(&parse_email(address).unwrap()).map(|e| e.to_string())
    }

    #[test]
    fn corrects_the_guide_example_and_common_slips() {
        let cases = [
            ("sidor_ivanov@lst.ru", "sidor_ivanov@list.ru"),
            ("Ivanov@mail.ry", "Ivanov@mail.ru"),
            ("ivanov@gmail.con", "ivanov@gmail.com"),
            ("ivanov@gmial.com", "ivanov@gmail.com"),
            ("ivanov@gmail.co", "ivanov@gmail.com"),
            ("ivanov@yandex.ri", "ivanov@yandex.ru"),
            ("ivanov@yandx.ru", "ivanov@yandex.ru"),
            ("ivanov@rambler.ry", "ivanov@rambler.ru"),
            ("ivanov@ranbler.ru", "ivanov@rambler.ru"),
            ("ivanov@inbx.ru", "ivanov@inbox.ru"),
            ("ivanov@mail.r", "ivanov@mail.ru"),
            ("ivanov@mai.ru", "ivanov@mail.ru"),
            ("ivanov@hotmail.cmo", "ivanov@hotmail.com"),
            ("ivanov@iclod.com", "ivanov@icloud.com"),
            ("ivanov@outlok.com", "ivanov@outlook.com"),
        ];
        for (typed, corrected) in cases {
            assert_eq!(suggestion(typed).as_deref(), Some(corrected), "{typed}");
        }
    }

    #[test]
    fn leaves_common_and_unrelated_domains_alone() {
        for typed in [
            "ivanov@mail.ru",
            "ivanov@list.ru",
            "ivanov@ya.ru",
            "ivanov@gmail.com",
            "support@ksk.kaluga.ru",
            "ivanov@company.ru",
            "ivanov@почта.рф",
            "ivanov@kaluga.ru",
            "ivanov@inbox.lv",
            "ivanov@mail.yandex.ru.example.org",
        ] {
            assert_eq!(suggestion(typed), None, "{typed}");
        }
    }

    #[test]
    fn prefers_the_closest_then_the_more_common() {
        // gmail.con is 1 from gmail.com and 2 from mail.com.
        assert_eq!(closest_common_domain("gmail.con"), Some("gmail.com"));
        // yo.ru is 1 from both ya.ru and ro.ru: ya.ru comes first in the list.
        assert_eq!(closest_common_domain("yo.ru"), Some("ya.ru"));
    }

    #[test]
    fn finds_the_missing_dot() {
        assert_eq!(closest_common_domain("mailru"), Some("mail.ru"));
        assert_eq!(closest_common_domain("gmailcom"), Some("gmail.com"));
        assert_eq!(closest_common_domain("yandexru"), Some("yandex.ru"));
    }

    #[test]
    fn counts_swaps_as_one_slip() {
        assert_eq!(typo_distance("gmial.com", "gmail.com"), 1);
        assert_eq!(typo_distance("lst.ru", "list.ru"), 1);
        assert_eq!(typo_distance("", "abc"), 3);
        assert_eq!(typo_distance("ca", "abc"), 3);
        assert_eq!(typo_distance("почта.рф", "почат.рф"), 1);
    }

    #[test]
    fn the_list_is_lowercase_unique_and_valid() {
        for (i, domain) in COMMON_MAIL_DOMAINS.iter().enumerate() {
            assert_eq!(parse_email(&format!("a@{domain}")).unwrap().domain(), *domain);
            assert!(!COMMON_MAIL_DOMAINS[..i].contains(domain), "{domain} twice");
        }
    }
}
