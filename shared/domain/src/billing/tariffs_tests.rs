use super::*;
use crate::config::{Config, DEFAULT_TOML};
use jiff::civil::{date, time};
use proptest::prelude::*;

fn p(text: &str) -> Period {
    Period::parse(text).unwrap()
}

/// A tariff file with the usual zones, a norm for `urban` and the given `[[prices]]` entries,
/// written `tariff rate zone kopecks from [to]` one per line.
fn file(entries: &str) -> String {
    let mut text =
        String::from("[zones]\nday_starts = \"07:00\"\nnight_starts = \"23:00\"\n[norms]\nurban = 70\n");
    for line in entries.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        text.push_str(&format!(
            "[[prices]]\ntariff = \"{}\"\nrate = \"{}\"\nzone = \"{}\"\nkopecks_per_kwh = {}\nvalid_from = {}\n",
            f[0], f[1], f[2], f[3], f[4]
        ));
        if let Some(to) = f.get(5) {
            text.push_str(&format!("valid_to = {to}\n"));
        }
    }
    text
}

#[test]
fn the_shipped_file_is_valid_and_has_the_kaluga_prices() {
    let t = Tariffs::embedded().unwrap();
    t.check_codes(&Config::parse(DEFAULT_TOML).unwrap()).unwrap();
    let price = |code, rate, zone, d| t.price_on(code, rate, zone, d).map(Kopecks::get);
    assert_eq!(price("urban", RateType::Single, Zone::All, date(2025, 7, 1)), Some(736));
    assert_eq!(price("urban", RateType::Single, Zone::All, date(2030, 1, 1)), Some(736));
    assert_eq!(price("rural", RateType::Single, Zone::All, date(2025, 7, 1)), Some(515));
    assert_eq!(price("urban", RateType::Single, Zone::All, date(2025, 6, 30)), Some(658));
    assert_eq!(price("urban", RateType::DayNight, Zone::Day, date(2025, 8, 1)), Some(817));
    assert_eq!(price("urban", RateType::DayNight, Zone::Night, date(2025, 8, 1)), Some(567));
    assert_eq!(price("urban", RateType::Single, Zone::All, date(2024, 12, 31)), None);
    assert_eq!(price("urban", RateType::Single, Zone::Day, date(2025, 8, 1)), None);
    assert_eq!(price("dacha", RateType::Single, Zone::All, date(2025, 8, 1)), None);
    assert_eq!((t.norm_kwh("urban"), t.norm_kwh("rural"), t.norm_kwh("dacha")), (Some(70), Some(90), None));
    assert_eq!(t.codes(), ["rural", "urban"]);
    assert_eq!(t.entries().count(), 12);
}

#[test]
fn zones_follow_the_configured_hours() {
    let zones = *Tariffs::embedded().unwrap().zones();
    assert_eq!(zones.zone_at(time(6, 59, 59, 0)), Zone::Night);
    assert_eq!(zones.zone_at(time(7, 0, 0, 0)), Zone::Day);
    assert_eq!(zones.zone_at(time(22, 59, 0, 0)), Zone::Day);
    assert_eq!(zones.zone_at(time(23, 0, 0, 0)), Zone::Night);
    assert_eq!(zones.zone_at(time(0, 0, 0, 0)), Zone::Night);
    assert_eq!(zones.hours_ru(Zone::Day), "07:00–23:00");
    assert_eq!(zones.hours_ru(Zone::Night), "23:00–07:00");
    let shifted = ZoneHours { day_starts: time(23, 0, 0, 0), night_starts: time(7, 0, 0, 0) };
    assert_eq!(shifted.zone_at(time(1, 0, 0, 0)), Zone::Day, "a day zone may wrap midnight");
    assert_eq!(Zone::Night.field_label_ru(), "Текущие показания счетчика (ночь)");
}

#[test]
fn a_month_splits_by_days_where_the_price_changes() {
    let t = Tariffs::parse(&file(
        "urban single all 658 2025-01-01 2025-07-16
         urban single all 736 2025-07-16 2025-08-01
         urban single all 736 2025-08-01",
    ))
    .unwrap();
    let july = t.segments("urban", RateType::Single, Zone::All, p("2025-07")).unwrap();
    let seg = |first, last, days, price| PriceSegment {
        first_day: first,
        last_day: last,
        days,
        price: Kopecks::new(price),
    };
    assert_eq!(
        july,
        [
            seg(date(2025, 7, 1), date(2025, 7, 15), 15, 658),
            seg(date(2025, 7, 16), date(2025, 7, 31), 16, 736)
        ]
    );
    // Two entries with the same price make one segment.
    let august = t.segments("urban", RateType::Single, Zone::All, p("2025-08")).unwrap();
    assert_eq!(august, [seg(date(2025, 8, 1), date(2025, 8, 31), 31, 736)]);
    let missing = t.segments("urban", RateType::Single, Zone::All, p("2024-12")).unwrap_err();
    assert_eq!(missing.to_string(), "no single/all price for tariff \"urban\" on 2024-12-01");
}

#[test]
fn refuses_files_with_bad_values_gaps_or_overlaps() {
    let ok = "urban single all 658 2025-01-01 2025-07-01\nurban single all 736 2025-07-01";
    assert!(Tariffs::parse(&file(ok)).is_ok());
    let cases: &[(String, &str)] = &[
        (file("urban triple all 736 2025-07-01"), "unknown variant `triple`"),
        (file("urban single peak 736 2025-07-01"), "unknown variant `peak`"),
        (file("urban single all 0 2025-07-01"), "entry 1 (urban single/all): the price 0 must be between 1"),
        (file("urban single all -736 2025-07-01"), "the price -736 must be between 1"),
        (file("urban single all 100001 2025-07-01"), "the price 100001 must be between 1"),
        (
            file("urban single all 736 2025-07-01 2025-07-01"),
            "valid_to 2025-07-01 must be after valid_from 2025-07-01",
        ),
        (
            file("urban single all 736 2025-07-01 2025-01-01"),
            "valid_to 2025-01-01 must be after valid_from 2025-07-01",
        ),
        (
            file("urban single all 658 2025-01-01 2025-06-30\nurban single all 736 2025-07-01"),
            "prices for urban single/all have a gap: no price from 2025-06-30 until 2025-07-01",
        ),
        (
            file("urban single all 736 2025-07-01\nurban single all 658 2025-01-01 2025-07-02"),
            "prices for urban single/all overlap from 2025-07-01 until 2025-07-02",
        ),
        (
            file("urban single all 658 2025-01-01\nurban single all 736 2025-07-01"),
            "prices for urban single/all overlap from 2025-07-01 on",
        ),
        (
            file("urban single all 658 2025-01-01 2026-01-01\nurban single all 736 2025-07-01 2025-08-01"),
            "overlap from 2025-07-01 until 2025-08-01",
        ),
        (file("urban single all 658 2025-07-01\nurban single all 736 2025-07-01"), "overlap from 2025-07-01"),
        (file("urban single day 736 2025-07-01"), "zone day does not go with rate single"),
        (file("urban day_night all 736 2025-07-01"), "zone all does not go with rate day_night"),
        (file("Urban single all 736 2025-07-01"), "tariff \"Urban\" must be lowercase"),
        (
            file("urban single all 736 2025-07-01\nurban day_night day 817 2025-07-01"),
            "tariff \"urban\": has day_night/day prices but no night ones",
        ),
        (
            file(
                "urban single all 736 2025-07-01
                 urban day_night day 817 2025-07-01
                 urban day_night night 567 2025-08-01",
            ),
            "day prices cover 2025-07-01.. but night prices cover 2025-08-01..",
        ),
        (
            file("urban day_night day 817 2025-07-01\nurban day_night night 567 2025-07-01"),
            "has no single/all prices",
        ),
        (
            file("urban single all 736 2025-07-01\nrural single all 515 2025-07-01"),
            "tariff \"rural\": has prices but no norm",
        ),
        (file(ok).replace("[norms]\n", "[norms]\nrural = 90\n"), "[norms] rural: has a norm but no prices"),
        (file(ok).replace("urban = 70", "urban = 0"), "[norms] urban: the norm 0 kWh must be between 1"),
        (
            file(ok).replace("\"07:00\"", "\"7:00\""),
            "[zones]: day_starts = \"7:00\"; expected a time \"HH:MM\"",
        ),
        (file(ok).replace("\"23:00\"", "\"24:00\""), "night_starts = \"24:00\""),
        (file(ok).replace("\"23:00\"", "\"07:00\""), "day_starts and night_starts are the same time"),
        (file(ok).replace("= 2025-07-01\n", "= 2025-07-01T00:00:00\n"), "must be a plain date"),
        (file(ok).replace("= 2025-07-01\n", "= \"2025-07-01\"\n"), "expected a TOML datetime"),
        (format!("{}\nsurprise = 1\n", file(ok)), "unknown field `surprise`"),
        (file(ok).replace("kopecks_per_kwh = 736", "kopecks_per_kwh = 7.36"), "kopecks_per_kwh"),
    ];
    for (text, expected) in cases {
        let error = Tariffs::parse(text).expect_err(expected).to_string();
        assert!(error.contains(expected), "expected {expected:?} in {error:?}");
    }
}

#[test]
fn the_file_must_price_exactly_the_configured_codes() {
    let config = Config::parse(DEFAULT_TOML).unwrap();
    let urban_only = Tariffs::parse(&file("urban single all 736 2025-07-01")).unwrap();
    let error = urban_only.check_codes(&config).unwrap_err().to_string();
    assert_eq!(error, "tariff \"rural\": is configured in retailer.toml but has no prices");
    let extra = file(
        "urban single all 736 2025-07-01
         rural single all 515 2025-07-01
         dacha single all 500 2025-07-01",
    )
    .replace("[norms]\n", "[norms]\nrural = 90\ndacha = 50\n");
    let extra = Tariffs::parse(&extra);
    let error = extra.unwrap().check_codes(&config).unwrap_err().to_string();
    assert_eq!(error, "tariff \"dacha\": has prices but is not a tariff code of retailer.toml");
}

proptest! {
    #[test]
    fn segments_cover_the_month_at_each_days_price(change_day in 2i8..=28, month in 1i8..=12) {
        let change = date(2025, month, change_day);
        let t = Tariffs::parse(&file(&format!(
            "urban single all 658 2024-01-01 {change}\nurban single all 736 {change}"
        )))
        .unwrap();
        let period = Period::new(2025, month).unwrap();
        let segments = t.segments("urban", RateType::Single, Zone::All, period).unwrap();
        prop_assert_eq!(segments.len(), 2);
        prop_assert_eq!(segments.iter().map(|s| s.days).sum::<u32>(), period.days());
        prop_assert_eq!(segments[1].first_day, change);
        for s in &segments {
            prop_assert_eq!(Some(s.price), t.price_on("urban", RateType::Single, Zone::All, s.first_day));
            prop_assert_eq!(Some(s.price), t.price_on("urban", RateType::Single, Zone::All, s.last_day));
        }
    }
}
