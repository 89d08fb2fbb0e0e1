//! Canonical tokens to address parts.
//!
//! Keywords say what a word is (`улица Ленина`, `Ленина улица`, `дом 12`). Words without a
//! keyword (`Калуга Ленина 12 5`) are read with the registry's address as a guide: a group
//! that ends with the registry's street name is that street plus a locality before it, and so
//! on. Without a guide, the last such group before the house number is the street and an
//! earlier one the locality. Bare numbers are the house, then the flat (`Ленина 12 5`,
//! `Ленина 12-5`); a six-digit number is a postal code and is ignored.

use super::normalize::Token;

/// A named part: its keyword when one was written (`улица`), and its name's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Named {
    pub kind: Option<String>,
    pub name: Vec<String>,
}

impl Named {
    /// Same name, and the same kind of place unless one side did not say.
    pub fn matches(&self, other: &Named) -> bool {
        self.name == other.name && (self.kind.is_none() || other.kind.is_none() || self.kind == other.kind)
    }

    fn bare(name: &[String]) -> Named {
        Named { kind: None, name: name.to_vec() }
    }
}

/// An address split into its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Parsed {
    pub region: Vec<Named>,
    pub locality: Option<Named>,
    pub street: Option<Named>,
    pub house: Option<String>,
    /// `корпус` or `строение`, and its number.
    pub building: Option<(String, String)>,
    pub flat: Option<String>,
    /// Whatever fits nowhere else, in order.
    pub other: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Region,
    Locality,
    Street,
}

#[derive(Debug)]
enum Item {
    Named(Level, Named),
    Free(Vec<String>),
    /// A number and its keyword (`дом`, `корпус`, `строение`, `квартира`), if any.
    Number(Option<&'static str>, String),
}

/// Splits canonical tokens into parts, reading keyword-less words with `guide`'s help.
pub(super) fn parse(tokens: &[Token], guide: Option<&Parsed>) -> Parsed {
    resolve(items(tokens), guide)
}

fn level(word: &str) -> Option<Level> {
    match word {
        "область" | "район" | "край" | "республика" => Some(Level::Region),
        "город" | "поселок" | "село" | "деревня" => Some(Level::Locality),
        "улица"
        | "переулок"
        | "проспект"
        | "бульвар"
        | "шоссе"
        | "площадь"
        | "набережная"
        | "проезд"
        | "тупик"
        | "аллея"
        | "микрорайон" => Some(Level::Street),
        _ => None,
    }
}

fn number_keyword(word: &str) -> Option<&'static str> {
    ["дом", "корпус", "строение", "квартира"].into_iter().find(|k| *k == word)
}

/// Words that carry nothing to compare: the country, and «имени» in street names.
fn is_noise(word: &str) -> bool {
    matches!(word, "россия" | "рф" | "имени")
}

/// `12`, `12а`, `12/3`, `12-5`; not the ordinals of street names (`2-я`, `50-летия`).
fn is_number(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
        && !word.rsplit_once('-').is_some_and(|(_, end)| end.chars().any(char::is_alphabetic))
}

fn is_postal_code(word: &str) -> bool {
    word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit())
}

fn is_plain_word(word: &str) -> bool {
    level(word).is_none() && number_keyword(word).is_none() && !is_number(word) && !is_noise(word)
}

/// The first pass: keywords with their names and numbers, and the groups of other words.
fn items(tokens: &[Token]) -> Vec<Item> {
    let mut items = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let flush = |pending: &mut Vec<String>, items: &mut Vec<Item>| {
        if !pending.is_empty() {
            items.push(Item::Free(std::mem::take(pending)));
        }
    };
    let mut i = 0;
    while i < tokens.len() {
        let word = tokens[i].text.as_str();
        let segment_starts = i == 0 || tokens[i].new_segment;
        if tokens[i].new_segment {
            flush(&mut pending, &mut items);
        }
        let segment_ends = tokens.get(i + 1).is_none_or(|next| next.new_segment);
        i += 1;
        if is_noise(word) {
            continue;
        }
        if let Some(level) = level(word) {
            let kind = Some(word.to_owned());
            // «Калужская область», «Калуга г,»: the name came first.
            let postfix = !pending.is_empty() && (level == Level::Region || segment_ends);
            let (name, used) = if postfix { (Vec::new(), 0) } else { name_after(tokens, i) };
            if name.is_empty() && !pending.is_empty() {
                items.push(Item::Named(level, Named { kind, name: std::mem::take(&mut pending) }));
            } else {
                flush(&mut pending, &mut items);
                items.push(Item::Named(level, Named { kind, name }));
            }
            i += used;
        } else if let Some(keyword) = number_keyword(word) {
            flush(&mut pending, &mut items);
            if let Some(next) = tokens.get(i).filter(|next| is_number(&next.text)) {
                items.push(Item::Number(Some(keyword), next.text.clone()));
                i += 1;
            }
        } else if is_number(word) {
            let next_is_word =
                tokens.get(i).is_some_and(|next| !next.new_segment && is_plain_word(&next.text));
            if is_postal_code(word) {
                continue;
            } else if segment_starts && next_is_word {
                // «…, 50 лет Октября, …»: a number that starts a name. Elsewhere a number
                // before a word is a house or flat (`Ленина 12 5 Калуга`).
                pending.push(word.to_owned());
            } else {
                flush(&mut pending, &mut items);
                items.push(Item::Number(None, word.to_owned()));
            }
        } else {
            pending.push(word.to_owned());
        }
    }
    flush(&mut pending, &mut items);
    items
}

/// The name after a keyword at `start`, up to the next keyword, number or comma, and how many
/// tokens it used. A number may start it (`улица 50 лет Октября`).
fn name_after(tokens: &[Token], start: usize) -> (Vec<String>, usize) {
    let mut name = Vec::new();
    let mut j = start;
    while let Some(token) = tokens.get(j) {
        let word = token.text.as_str();
        if j > start && token.new_segment {
            break;
        }
        let next_is_word = tokens.get(j + 1).is_some_and(|n| !n.new_segment && is_plain_word(&n.text));
        if word == "имени" {
            j += 1;
            continue;
        }
        if is_plain_word(word) || (name.is_empty() && is_number(word) && next_is_word) {
            name.push(word.to_owned());
        } else {
            break;
        }
        j += 1;
    }
    (name, j - start)
}

/// The second pass: places numbers, then reads the keyword-less groups.
fn resolve(items: Vec<Item>, guide: Option<&Parsed>) -> Parsed {
    let mut parsed = Parsed::default();
    let mut free: Vec<(usize, Vec<String>)> = Vec::new();
    let mut house_at = None;
    let guide_locality = guide.and_then(|g| g.locality.as_ref()).map(|n| n.name.as_slice());
    let guide_street = guide.and_then(|g| g.street.as_ref()).map(|n| n.name.as_slice());
    for (at, item) in items.into_iter().enumerate() {
        match item {
            Item::Named(Level::Region, named) => parsed.region.push(named),
            Item::Named(Level::Locality, mut named) => {
                // «деревня Жерелево Садовая 5»: the guide's locality, then something else.
                if let Some(known) = guide_locality
                    && named.name.len() > known.len()
                    && named.name.starts_with(known)
                {
                    free.push((at, named.name.split_off(known.len())));
                }
                place_named(&mut parsed.locality, named, &mut parsed.other);
            }
            Item::Named(Level::Street, mut named) => {
                // «Калуга Ленина улица 12»: something else, then the guide's street.
                if let Some(known) = guide_street
                    && named.name.len() > known.len()
                    && named.name.ends_with(known)
                {
                    let street = named.name.split_off(named.name.len() - known.len());
                    free.push((at, std::mem::replace(&mut named.name, street)));
                }
                place_named(&mut parsed.street, named, &mut parsed.other);
            }
            Item::Number(kind, value) => {
                if house_at.is_none() && kind.is_none_or(|k| k == "дом") {
                    house_at = Some(at);
                }
                place_number(&mut parsed, kind, value);
            }
            Item::Free(words) => free.push((at, words)),
        }
    }
    let street_group = free.iter().rposition(|(at, _)| house_at.is_none_or(|house| *at < house));
    for (index, (_, words)) in free.into_iter().enumerate() {
        read_free(&mut parsed, &words, guide_locality, guide_street, Some(index) == street_group);
    }
    parsed
}

fn place_named(slot: &mut Option<Named>, named: Named, other: &mut Vec<String>) {
    if slot.is_none() {
        *slot = Some(named);
    } else {
        other.extend(named.kind);
        other.extend(named.name);
    }
}

fn place_number(parsed: &mut Parsed, kind: Option<&'static str>, value: String) {
    match kind {
        None | Some("дом") if parsed.house.is_none() => {
            // «12-5»: house 12, flat 5.
            match value.split_once('-') {
                Some((house, flat))
                    if parsed.flat.is_none()
                        && !house.is_empty()
                        && flat.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    parsed.house = Some(house.to_owned());
                    parsed.flat = Some(flat.to_owned());
                }
                _ => parsed.house = Some(value),
            }
        }
        None | Some("квартира") if parsed.flat.is_none() => parsed.flat = Some(value),
        Some(kind @ ("корпус" | "строение")) if parsed.building.is_none() => {
            parsed.building = Some((kind.to_owned(), value));
        }
        _ => {
            parsed.other.extend(kind.map(str::to_owned));
            parsed.other.push(value);
        }
    }
}

/// Reads a group of words that had no keyword.
fn read_free(
    parsed: &mut Parsed,
    words: &[String],
    locality: Option<&[String]>,
    street: Option<&[String]>,
    street_group: bool,
) {
    if words.is_empty() {
        return;
    }
    let street_known = street.filter(|s| !s.is_empty());
    let locality_known = locality.filter(|l| !l.is_empty());
    if parsed.street.is_none() && street_known == Some(words) {
        parsed.street = Some(Named::bare(words));
    } else if parsed.locality.is_none() && locality_known == Some(words) {
        parsed.locality = Some(Named::bare(words));
    } else if let Some(known) = street_known.filter(|s| parsed.street.is_none() && words.ends_with(s)) {
        parsed.street = Some(Named::bare(known));
        read_free(parsed, &words[..words.len() - known.len()], locality, None, false);
    } else if let Some(known) = locality_known.filter(|l| parsed.locality.is_none() && words.starts_with(l)) {
        parsed.locality = Some(Named::bare(known));
        read_free(parsed, &words[known.len()..], None, street, true);
    } else if parsed.street.is_none() && street_group {
        parsed.street = Some(Named::bare(words));
    } else if parsed.locality.is_none() {
        parsed.locality = Some(Named::bare(words));
    } else {
        parsed.other.extend(words.iter().cloned());
    }
}
