//! The billing period: one calendar month. Bills, readings and payments are filed under it, so
//! it is written the same way everywhere: `2026-01` in keys, files and JSON, «январь 2026» on
//! the page and the paper bill.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The earliest and latest years a period may have. The upper bound keeps the day after every
/// period (its exclusive end) a valid date.
pub const MIN_YEAR: i16 = 1900;
pub const MAX_YEAR: i16 = 9998;

/// A billing month. Ordered by time; serialised as the string `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    // Field order matters: the derived ordering compares the year first.
    year: i16,
    month: i8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("a period is written YYYY-MM, e.g. 2026-01; got {0:?}")]
    Format(String),
    #[error("month {0} is not between 1 and 12")]
    Month(i8),
    #[error("year {0} is outside {MIN_YEAR}..={MAX_YEAR}")]
    Year(i16),
}

const NAMES_RU: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];

const GENITIVE_RU: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

impl Period {
    pub fn new(year: i16, month: i8) -> Result<Self, PeriodError> {
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month(month));
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(PeriodError::Year(year));
        }
        Ok(Period { year, month })
    }

    /// The period a date falls in.
    ///
    /// # Panics
    /// When the date's year is outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub fn of(date: Date) -> Self {
        Period::new(date.year(), date.month()).expect("the date's year is within the billing years")
    }

    /// Parses `YYYY-MM` exactly: four digits, a hyphen, two digits.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let bad = || PeriodError::Format(text.to_owned());
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit());
        if !shape_ok {
            return Err(bad());
        }
        let year: i16 = text[..4].parse().map_err(|_| bad())?;
        let month: i8 = text[5..].parse().map_err(|_| bad())?;
        Period::new(year, month)
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }

    /// The following month.
    ///
    /// # Panics
    /// After December [`MAX_YEAR`], which no bill reaches.
    pub fn next(self) -> Self {
        let (year, month) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        Period::new(year, month).expect("a period after the last billing year")
    }

    /// The preceding month.
    ///
    /// # Panics
    /// Before January [`MIN_YEAR`], which no bill reaches.
    pub fn prev(self) -> Self {
        let (year, month) = if self.month == 1 { (self.year - 1, 12) } else { (self.year, self.month - 1) };
        Period::new(year, month).expect("a period before the first billing year")
    }

    pub fn first_day(self) -> Date {
        Date::constant(self.year, self.month, 1)
    }

    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// The number of days in the month (28 to 31).
    pub fn days(self) -> u32 {
        self.first_day().days_in_month().unsigned_abs().into()
    }

    /// The date in this month with the given day, clamped to the month's last day.
    pub fn day(self, day: u8) -> Date {
        let day = i8::try_from(day).unwrap_or(i8::MAX).clamp(1, self.first_day().days_in_month());
        Date::constant(self.year, self.month, day)
    }

    pub fn contains(self, date: Date) -> bool {
        date.year() == self.year && date.month() == self.month
    }

    /// «январь 2026», as the bill names its period.
    pub fn name_ru(self) -> String {
        format!("{} {}", month_name_ru(self.month), self.year)
    }

    /// `01.2026`, the short form used in payment purposes.
    pub fn mm_yyyy(self) -> String {
        format!("{:02}.{}", self.month, self.year)
    }
}

/// The month's name in the nominative, «январь»; an empty string outside 1..=12.
pub fn month_name_ru(month: i8) -> &'static str {
    usize::try_from(month - 1).ok().and_then(|i| NAMES_RU.get(i)).copied().unwrap_or_default()
}

/// The month's name in the genitive, as dates are written: «10 февраля».
pub fn month_genitive_ru(month: i8) -> &'static str {
    usize::try_from(month - 1).ok().and_then(|i| GENITIVE_RU.get(i)).copied().unwrap_or_default()
}

/// A date as Russian documents write it in words: «10 февраля 2026 г.».
pub fn date_ru(date: Date) -> String {
    format!("{} {} {} г.", date.day(), month_genitive_ru(date.month()), date.year())
}

/// A date as Russian documents write it in figures: «10.02.2026».
pub fn date_dots(date: Date) -> String {
    format!("{:02}.{:02}.{}", date.day(), date.month(), date.year())
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Period::parse(&value)
    }
}

impl From<Period> for String {
    fn from(value: Period) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    #[test]
    fn parses_and_prints_yyyy_mm() {
        assert_eq!(p("2026-01"), Period::new(2026, 1).unwrap());
        assert_eq!(p("2026-01").to_string(), "2026-01");
        assert_eq!("1999-12".parse::<Period>().unwrap().to_string(), "1999-12");
        for bad in ["", "2026-1", "2026/01", "26-01", "2026-001", "+026-01", "2026-0a", " 2026-01"] {
            assert!(matches!(Period::parse(bad), Err(PeriodError::Format(_))), "{bad:?}");
        }
        assert_eq!(Period::parse("2026-13"), Err(PeriodError::Month(13)));
        assert_eq!(Period::parse("2026-00"), Err(PeriodError::Month(0)));
        assert_eq!(Period::parse("1800-05"), Err(PeriodError::Year(1800)));
    }

    #[test]
    fn steps_across_years() {
        assert_eq!(p("2025-12").next(), p("2026-01"));
        assert_eq!(p("2026-01").prev(), p("2025-12"));
        assert_eq!(p("2026-05").next(), p("2026-06"));
        assert!(p("2025-12") < p("2026-01") && p("2026-01") < p("2026-02"));
    }

    #[test]
    fn knows_its_days() {
        assert_eq!(p("2026-01").first_day(), date(2026, 1, 1));
        assert_eq!(p("2026-02").last_day(), date(2026, 2, 28));
        assert_eq!(p("2024-02").days(), 29);
        assert_eq!(p("2025-04").days(), 30);
        assert_eq!(p("2025-07").days(), 31);
        assert_eq!(p("2026-02").day(31), date(2026, 2, 28));
        assert_eq!(p("2026-02").day(0), date(2026, 2, 1));
        assert!(p("2026-02").contains(date(2026, 2, 28)));
        assert!(!p("2026-02").contains(date(2026, 3, 1)));
        assert_eq!(Period::of(date(2026, 3, 31)), p("2026-03"));
    }

    #[test]
    fn speaks_russian() {
        assert_eq!(p("2026-01").name_ru(), "январь 2026");
        assert_eq!(p("2025-05").name_ru(), "май 2025");
        assert_eq!(p("2025-05").mm_yyyy(), "05.2025");
        assert_eq!(date_ru(date(2026, 2, 10)), "10 февраля 2026 г.");
        assert_eq!(date_dots(date(2026, 2, 1)), "01.02.2026");
        assert_eq!(month_genitive_ru(12), "декабря");
        assert_eq!(month_name_ru(13), "");
    }

    #[test]
    fn serialises_as_the_string() {
        let json = serde_json::to_string(&p("2026-01")).unwrap();
        assert_eq!(json, "\"2026-01\"");
        assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p("2026-01"));
        assert!(serde_json::from_str::<Period>("\"2026-13\"").is_err());
    }

    proptest! {
        #[test]
        fn display_then_parse_gives_the_same_period(year in MIN_YEAR..=MAX_YEAR, month in 1i8..=12) {
            let period = Period::new(year, month).unwrap();
            prop_assert_eq!(Period::parse(&period.to_string()), Ok(period));
            prop_assert!((year == MAX_YEAR && month == 12) || period < period.next());
        }
    }
}
