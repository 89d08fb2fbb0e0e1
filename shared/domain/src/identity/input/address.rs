//! R2: registration succeeds only when the typed address of the premises matches the
//! registry's. People write addresses in many ways («г. Калуга, ул. Ленина, д. 12, кв. 5»,
//! «Калуга, улица Ленина 12 кв 5», «Ленина, 12-5»), so both sides are normalised
//! ([`normalize_address`]), split into parts and compared part by part.
//!
//! Choices, each made so that an honest customer is not turned away and a different premises
//! is never taken for the same:
//! - The region and district (область, район), the postal code and the country may be left
//!   out: nobody writes them for their own home. When the typed address has them, they must
//!   agree.
//! - The locality may be left out when the street, house, building and flat all match: people
//!   don't write their own town either. Otherwise a missing locality counts as differing.
//! - The kind of street or locality (улица, переулок…) may be left out; when both sides say
//!   it, it must agree (улица Ленина and переулок Ленина are different streets).
//! - A house, building or flat on one side only is a difference (`12` is not `12 кв 5`).
//!
//! [`AddressMatch::Differs`] names the parts that differ. Shown to the person typing, they
//! also tell anyone who knows an account number its address part by part (X2), so attempts
//! must be limited; [`AddressMatch::message_ru`] is a message that names no part.

mod normalize;
mod parse;

use std::fmt;

pub use normalize::normalize_address;

/// A part of an address that can differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressPart {
    Locality,
    Street,
    House,
    /// корпус or строение.
    Building,
    Flat,
    /// The region, the district, or words that fit nowhere else.
    Other,
}

impl AddressPart {
    pub fn label_ru(&self) -> &'static str {
        match self {
            AddressPart::Locality => "населённый пункт",
            AddressPart::Street => "улица",
            AddressPart::House => "номер дома",
            AddressPart::Building => "корпус или строение",
            AddressPart::Flat => "номер квартиры",
            AddressPart::Other => "другая часть адреса",
        }
    }
}

impl fmt::Display for AddressPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressPart::Locality => "locality",
            AddressPart::Street => "street",
            AddressPart::House => "house",
            AddressPart::Building => "building",
            AddressPart::Flat => "flat",
            AddressPart::Other => "other",
        })
    }
}

/// Whether a typed address is the registry's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressMatch {
    Same,
    /// The parts that differ, each once, in the order of [`AddressPart`].
    Differs(Vec<AddressPart>),
}

impl AddressMatch {
    /// What the registration page says when the address differs. Deliberately the same
    /// whatever differs (see the module docs).
    pub fn message_ru(&self) -> Option<&'static str> {
        match self {
            AddressMatch::Same => None,
            AddressMatch::Differs(_) => Some(
                "Адрес не совпадает с адресом, указанным в квитанции. Проверьте населённый пункт, \
                 улицу, номер дома и квартиры.",
            ),
        }
    }
}

impl fmt::Display for AddressMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressMatch::Same => f.write_str("same address"),
            AddressMatch::Differs(parts) => {
                let parts: Vec<String> = parts.iter().map(ToString::to_string).collect();
                write!(f, "address differs in: {}", parts.join(", "))
            }
        }
    }
}

/// Compares the address typed at registration with the registry's. See the module docs for
/// what may be left out.
pub fn compare_addresses(registry: &str, typed: &str) -> AddressMatch {
    let (registry, typed) = (normalize::tokens(registry), normalize::tokens(typed));
    let texts = |tokens: &[normalize::Token]| tokens.iter().map(|t| t.text.clone()).collect::<Vec<_>>();
    if texts(&registry) == texts(&typed) {
        return AddressMatch::Same;
    }
    let registry = parse::parse(&registry, None);
    let typed = parse::parse(&typed, Some(&registry));
    differences(&registry, &typed)
}

fn differences(registry: &parse::Parsed, typed: &parse::Parsed) -> AddressMatch {
    let mut parts = Vec::new();
    let street_matches = match (&registry.street, &typed.street) {
        (Some(r), Some(t)) => r.matches(t),
        (r, t) => r.is_none() && t.is_none(),
    };
    if !street_matches {
        parts.push(AddressPart::Street);
    }
    if registry.house != typed.house {
        parts.push(AddressPart::House);
    }
    if registry.building != typed.building {
        parts.push(AddressPart::Building);
    }
    if registry.flat != typed.flat {
        parts.push(AddressPart::Flat);
    }
    let locality_matches = match (&registry.locality, &typed.locality) {
        (Some(r), Some(t)) => r.matches(t),
        // Left out: fine when everything below it matched.
        (Some(_), None) => parts.is_empty(),
        // The registry names no locality: nothing to check the typed one against.
        (None, _) => true,
    };
    if !locality_matches {
        parts.push(AddressPart::Locality);
    }
    let region_differs =
        typed.region.iter().any(|t| registry.region.iter().any(|r| r.kind == t.kind && r.name != t.name));
    if region_differs || registry.other != typed.other {
        parts.push(AddressPart::Other);
    }
    if parts.is_empty() {
        AddressMatch::Same
    } else {
        parts.sort_unstable();
        AddressMatch::Differs(parts)
    }
}

#[cfg(test)]
mod tests;
