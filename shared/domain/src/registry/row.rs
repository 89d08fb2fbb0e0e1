//! One registry row, parsed into a [`RegistryEntry`] or refused with a reason.

use serde::{Deserialize, Serialize};

use super::COLUMNS;
use crate::{AccountNumber, Config, Kopecks, Meter};

/// The longest address kept, in characters.
pub const MAX_ADDRESS: usize = 300;

/// A customer as the retailer's billing system knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryEntry {
    pub account: AccountNumber,
    /// The supplied premises, as the billing system writes it (whitespace tidied).
    pub address: String,
    pub meter: Meter,
    pub tariff: String,
    /// Positive: the customer owes; negative: overpaid.
    pub balance: Kopecks,
}

/// Where each column sits in this file.
#[derive(Debug, Clone)]
pub struct Header {
    /// For each of [`COLUMNS`], its index in a row.
    positions: [usize; COLUMNS.len()],
    width: usize,
}

impl Header {
    /// Reads the header row: each column of [`COLUMNS`] exactly once, in any order, any case.
    pub fn parse(fields: &[String]) -> Result<Self, String> {
        let names: Vec<String> = fields.iter().map(|f| f.trim().to_lowercase()).collect();
        let mut problems = Vec::new();
        let unknown: Vec<&str> = names.iter().map(String::as_str).filter(|n| !COLUMNS.contains(n)).collect();
        if !unknown.is_empty() {
            problems.push(format!("unexpected column(s) {}", quote_list(&unknown)));
        }
        let missing: Vec<&str> = COLUMNS.iter().copied().filter(|c| !names.iter().any(|n| n == c)).collect();
        if !missing.is_empty() {
            problems.push(format!("missing column(s) {}", quote_list(&missing)));
        }
        let twice: Vec<&str> =
            COLUMNS.iter().copied().filter(|c| names.iter().filter(|n| n == c).count() > 1).collect();
        if !twice.is_empty() {
            problems.push(format!("column(s) {} appear more than once", quote_list(&twice)));
        }
        if !problems.is_empty() {
            return Err(format!("{}; expected the columns {}", problems.join("; "), COLUMNS.join(";")));
        }
        let mut positions = [0; COLUMNS.len()];
        for (slot, column) in positions.iter_mut().zip(COLUMNS) {
            *slot = names.iter().position(|n| n == column).unwrap_or_default();
        }
        Ok(Header { positions, width: names.len() })
    }
}

fn quote_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

/// Why a row was refused. The text names the column and what was wrong, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError(pub String);

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(column: &str, why: impl std::fmt::Display) -> RowError {
    RowError(format!("{column}: {why}"))
}

/// Parses one data row whose fields were split by the header's rules.
pub fn parse_row(header: &Header, fields: &[String], config: &Config) -> Result<RegistryEntry, RowError> {
    if fields.len() != header.width {
        let hint =
            if fields.len() > header.width { " (a ';' inside the address must be quoted)" } else { "" };
        return Err(RowError(format!("{} fields, expected {}{hint}", fields.len(), header.width)));
    }
    let field = |i: usize| fields[header.positions[i]].as_str();
    let [account, address, meter, digits, reading, night, tariff, balance] = std::array::from_fn(field);

    let account = AccountNumber::parse(account).map_err(|e| bad("account", e))?;
    let address = parse_address(address)?;
    let meter = parse_meter(meter, digits, reading, night)?;
    if config.tariff(tariff).is_none() {
        let known: Vec<&str> = config.tariffs.iter().map(|t| t.code.as_str()).collect();
        return Err(bad("tariff", format!("unknown code {tariff:?}; configured: {}", known.join(", "))));
    }
    if balance.is_empty() {
        return Err(bad("balance", "empty (write 0 when nothing is owed)"));
    }
    let balance = Kopecks::parse_rubles(balance).map_err(|e| bad("balance", e))?;
    Ok(RegistryEntry { account, address, meter, tariff: tariff.to_owned(), balance })
}

fn parse_address(text: &str) -> Result<String, RowError> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(bad("address", format!("control character U+{:04X}", u32::from(c))));
    }
    let tidy = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if tidy.is_empty() {
        return Err(bad("address", "empty"));
    }
    let length = tidy.chars().count();
    if length > MAX_ADDRESS {
        return Err(bad("address", format!("{length} characters; at most {MAX_ADDRESS}")));
    }
    Ok(tidy)
}

fn parse_meter(kind: &str, digits: &str, reading: &str, night: &str) -> Result<Meter, RowError> {
    let must_be_empty = |column: &str, value: &str, why: &str| {
        if value.is_empty() { Ok(()) } else { Err(bad(column, format!("must be empty {why}"))) }
    };
    match kind {
        "none" => {
            must_be_empty("digits", digits, "when meter is none")?;
            must_be_empty("reading", reading, "when meter is none")?;
            must_be_empty("reading_night", night, "when meter is none")?;
            Ok(Meter::None)
        }
        "single" => {
            must_be_empty("reading_night", night, "for a single-rate meter")?;
            let digits = parse_digits(digits)?;
            Meter::single(digits, parse_kwh("reading", reading)?).map_err(|e| bad("reading", e))
        }
        "day_night" => {
            let digits = parse_digits(digits)?;
            let day = parse_kwh("reading", reading)?;
            let night_kwh = parse_kwh("reading_night", night)?;
            Meter::day_night(digits, day, night_kwh).map_err(|e| {
                let column = if Meter::single(digits, day).is_ok() { "reading_night" } else { "reading" };
                bad(column, e)
            })
        }
        other => Err(bad("meter", format!("{other:?}; expected none, single or day_night"))),
    }
}

fn parse_digits(text: &str) -> Result<u8, RowError> {
    use crate::meter::{MAX_DIGITS, MIN_DIGITS};
    match text.parse::<u8>() {
        Ok(d) if (MIN_DIGITS..=MAX_DIGITS).contains(&d) => Ok(d),
        _ if text.is_empty() => Err(bad("digits", "empty; the meter's digit capacity is needed")),
        _ => {
            Err(bad("digits", format!("{text:?}; expected a whole number from {MIN_DIGITS} to {MAX_DIGITS}")))
        }
    }
}

fn parse_kwh(column: &str, text: &str) -> Result<u64, RowError> {
    if text.is_empty() {
        return Err(bad(column, "empty"));
    }
    if text.contains([',', '.']) {
        return Err(bad(column, format!("{text:?}; readings are whole kWh, no fraction")));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 12 {
        return Err(bad(column, format!("{text:?} is not a whole number of kWh")));
    }
    text.parse().map_err(|_| bad(column, format!("{text:?} is not a whole number of kWh")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(crate::config::DEFAULT_TOML).unwrap()
    }

    fn header() -> Header {
        Header::parse(&COLUMNS.map(String::from)).unwrap()
    }

    fn row(text: &str) -> Result<RegistryEntry, RowError> {
        let fields = super::super::split_fields(text).unwrap();
        parse_row(&header(), &fields, &config())
    }

    #[test]
    fn parses_every_kind_of_meter() {
        let single = row("180211111;г. Калуга,  ул. Ленина, д. 1;single;5;12345;;urban;1234,56").unwrap();
        assert_eq!(single.meter, Meter::Single { digits: 5, reading: 12345 });
        assert_eq!(single.address, "г. Калуга, ул. Ленина, д. 1");
        assert_eq!(single.balance, Kopecks::new(123_456));

        let zones = row("180211112;addr;day_night;6;100;50;rural;-10").unwrap();
        assert_eq!(zones.meter, Meter::DayNight { digits: 6, day: 100, night: 50 });
        assert_eq!(zones.balance, Kopecks::new(-1000));

        let none = row("180211113;addr;none;;;;urban;0").unwrap();
        assert_eq!(none.meter, Meter::None);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            ("1802;a;single;5;1;;urban;0;x", "9 fields, expected 8"),
            ("18O211111;a;single;5;1;;urban;0", "account: unexpected character 'O'"),
            ("180211111; ;single;5;1;;urban;0", "address: empty"),
            ("180211111;a;triple;5;1;;urban;0", "meter: \"triple\""),
            ("180211111;a;single;;1;;urban;0", "digits: empty"),
            ("180211111;a;single;12;1;;urban;0", "digits: \"12\""),
            ("180211111;a;single;5;123456;;urban;0", "reading: reading 123456 does not fit"),
            ("180211111;a;single;5;12,5;;urban;0", "reading: \"12,5\"; readings are whole kWh"),
            ("180211111;a;single;5;-1;;urban;0", "reading: \"-1\" is not a whole number"),
            ("180211111;a;single;5;1;2;urban;0", "reading_night: must be empty"),
            ("180211111;a;day_night;5;1;;urban;0", "reading_night: empty"),
            ("180211111;a;day_night;5;1;999999;urban;0", "reading_night: reading 999999"),
            ("180211111;a;none;5;;;urban;0", "digits: must be empty when meter is none"),
            ("180211111;a;single;5;1;;dacha;0", "tariff: unknown code \"dacha\"; configured: urban, rural"),
            ("180211111;a;single;5;1;;urban;", "balance: empty"),
            ("180211111;a;single;5;1;;urban;12.50", "balance: use a comma"),
        ];
        for (text, expected) in cases {
            let error = row(text).unwrap_err().0;
            assert!(error.starts_with(expected), "{text:?}: got {error:?}, expected {expected:?}");
        }
    }

    #[test]
    fn headers_in_any_order_but_complete() {
        let mut reordered = COLUMNS.map(String::from);
        reordered.reverse();
        assert!(Header::parse(&reordered).is_ok());
        let error = Header::parse(&["account".into(), "adress".into()]).unwrap_err();
        assert!(error.contains("unexpected column(s) \"adress\""), "{error}");
        assert!(error.contains("missing column(s) \"address\", \"meter\""), "{error}");
        let mut twice = COLUMNS.map(String::from).to_vec();
        twice.push("tariff".into());
        assert!(Header::parse(&twice).unwrap_err().contains("\"tariff\" appear more than once"));
    }
}
