use super::*;
use crate::billing::payee::demo_payee;
use jiff::civil::date;
use proptest::prelude::*;

fn p(text: &str) -> Period {
    Period::parse(text).unwrap()
}

fn embedded() -> Tariffs {
    Tariffs::embedded().unwrap()
}

/// Urban prices that change inside months: single 6,58 → 7,36 on 16 July 2025, 7,00 from
/// 11 October and 7,50 from 21 October 2025 (three runs), 8,00 from 15 February 2026 (14 + 14
/// days, a tie); day 7,30 → 8,17 and night 5,07 → 5,67 on 16 July 2025.
fn changing() -> Tariffs {
    let mut text =
        String::from("[zones]\nday_starts = \"07:00\"\nnight_starts = \"23:00\"\n[norms]\nurban = 70\n");
    let entries = [
        ("single", "all", 658, "2025-01-01", Some("2025-07-16")),
        ("single", "all", 736, "2025-07-16", Some("2025-10-11")),
        ("single", "all", 700, "2025-10-11", Some("2025-10-21")),
        ("single", "all", 750, "2025-10-21", Some("2026-02-15")),
        ("single", "all", 800, "2026-02-15", None),
        ("day_night", "day", 730, "2025-01-01", Some("2025-07-16")),
        ("day_night", "day", 817, "2025-07-16", None),
        ("day_night", "night", 507, "2025-01-01", Some("2025-07-16")),
        ("day_night", "night", 567, "2025-07-16", None),
    ];
    for (rate, zone, price, from, to) in entries {
        text.push_str(&format!(
            "[[prices]]\ntariff = \"urban\"\nrate = \"{rate}\"\nzone = \"{zone}\"\nkopecks_per_kwh = {price}\nvalid_from = {from}\n"
        ));
        if let Some(to) = to {
            text.push_str(&format!("valid_to = {to}\n"));
        }
    }
    Tariffs::parse(&text).unwrap()
}

/// August 2025 (one price all month), urban, a 5-digit single-rate meter at 1000, nothing
/// owed, nothing paid, no readings yet.
fn input() -> BillInput {
    BillInput {
        period: p("2025-08"),
        account: AccountNumber::parse("180211111").unwrap(),
        address: "г. Калуга, ул. Ленина, д. 1, кв. 1".into(),
        tariff: "urban".into(),
        meter: Meter::single(5, 1_000).unwrap(),
        readings: None,
        history: vec![],
        months_without_readings: 0,
        opening_balance: Kopecks::ZERO,
        payments: Kopecks::ZERO,
        payee: demo_payee(),
    }
}

fn day_night(day: u64, night: u64) -> Registers {
    Registers::DayNight { day, night }
}

/// A bill line as (zone, basis, previous, current, kWh, [(days, kWh, price)], charge).
type Line = (Zone, Basis, Option<u64>, Option<u64>, u64, Vec<(u32, u64, i64)>, i64);

fn lines(bill: &Bill) -> Vec<Line> {
    bill.lines
        .iter()
        .map(|l| {
            let segments = l.segments.iter().map(|s| (s.days, s.kwh, s.price.get())).collect();
            (l.zone, l.basis, l.previous, l.current, l.consumption, segments, l.charge.get())
        })
        .collect()
}

struct Case {
    name: &'static str,
    tariffs: fn() -> Tariffs,
    input: BillInput,
    lines: Vec<Line>,
    /// (total charge, closing balance, amount due), kopecks.
    totals: (i64, i64, i64),
}

#[test]
fn computes_bills() {
    use Basis::*;
    use Zone::*;
    let with = |change: fn(&mut BillInput)| {
        let mut i = input();
        change(&mut i);
        i
    };
    let cases = vec![
        Case {
            name: "single-rate: 150 kWh × 7,36",
            tariffs: embedded,
            input: with(|i| i.readings = Some(Registers::Single(1_150))),
            lines: vec![(All, Readings, Some(1_000), Some(1_150), 150, vec![(31, 150, 736)], 110_400)],
            totals: (110_400, 110_400, 110_400),
        },
        Case {
            name: "rural single-rate: 150 kWh × 5,15",
            tariffs: embedded,
            input: with(|i| {
                i.tariff = "rural".into();
                i.readings = Some(Registers::Single(1_150));
            }),
            lines: vec![(All, Readings, Some(1_000), Some(1_150), 150, vec![(31, 150, 515)], 77_250)],
            totals: (77_250, 77_250, 77_250),
        },
        Case {
            name: "day/night: 120 × 8,17 + 80 × 5,67",
            tariffs: embedded,
            input: with(|i| {
                i.meter = Meter::day_night(6, 5_000, 2_000).unwrap();
                i.readings = Some(day_night(5_120, 2_080));
            }),
            lines: vec![
                (Day, Readings, Some(5_000), Some(5_120), 120, vec![(31, 120, 817)], 98_040),
                (Night, Readings, Some(2_000), Some(2_080), 80, vec![(31, 80, 567)], 45_360),
            ],
            totals: (143_400, 143_400, 143_400),
        },
        Case {
            name: "zero consumption is a reading too",
            tariffs: embedded,
            input: with(|i| i.readings = Some(Registers::Single(1_000))),
            lines: vec![(All, Readings, Some(1_000), Some(1_000), 0, vec![(31, 0, 736)], 0)],
            totals: (0, 0, 0),
        },
        Case {
            name: "no meter: the urban norm, 70 kWh",
            tariffs: embedded,
            input: with(|i| i.meter = Meter::None),
            lines: vec![(All, Norm, None, None, 70, vec![(31, 70, 736)], 51_520)],
            totals: (51_520, 51_520, 51_520),
        },
        Case {
            name: "no meter: the rural norm, 90 kWh",
            tariffs: embedded,
            input: with(|i| {
                i.meter = Meter::None;
                i.tariff = "rural".into();
            }),
            lines: vec![(All, Norm, None, None, 90, vec![(31, 90, 515)], 46_350)],
            totals: (46_350, 46_350, 46_350),
        },
        Case {
            name: "estimated: the average of the last three months, 117.33 → 117 kWh",
            tariffs: embedded,
            input: with(|i| {
                i.history = [500, 100, 120, 132].map(Registers::Single).to_vec();
                i.months_without_readings = 2;
            }),
            lines: vec![(All, Estimated, Some(1_000), None, 117, vec![(31, 117, 736)], 86_112)],
            totals: (86_112, 86_112, 86_112),
        },
        Case {
            name: "estimated with fewer months: the average of what there is",
            tariffs: embedded,
            input: with(|i| i.history = vec![Registers::Single(101), Registers::Single(100)]),
            lines: vec![(All, Estimated, Some(1_000), None, 101, vec![(31, 101, 736)], 74_336)],
            totals: (74_336, 74_336, 74_336),
        },
        Case {
            name: "estimated day/night: each zone its own average",
            tariffs: embedded,
            input: with(|i| {
                i.meter = Meter::day_night(6, 5_000, 2_000).unwrap();
                i.history = vec![day_night(100, 50), day_night(110, 60), day_night(120, 71)];
            }),
            lines: vec![
                (Day, Estimated, Some(5_000), None, 110, vec![(31, 110, 817)], 89_870),
                (Night, Estimated, Some(2_000), None, 60, vec![(31, 60, 567)], 34_020),
            ],
            totals: (123_890, 123_890, 123_890),
        },
        Case {
            name: "the norm after three months without readings",
            tariffs: embedded,
            input: with(|i| {
                i.history = [100, 120, 130].map(Registers::Single).to_vec();
                i.months_without_readings = 3;
            }),
            lines: vec![(All, Norm, Some(1_000), None, 70, vec![(31, 70, 736)], 51_520)],
            totals: (51_520, 51_520, 51_520),
        },
        Case {
            name: "the norm when there is no history to average",
            tariffs: embedded,
            input: input(),
            lines: vec![(All, Norm, Some(1_000), None, 70, vec![(31, 70, 736)], 51_520)],
            totals: (51_520, 51_520, 51_520),
        },
        Case {
            name: "the norm of a day/night meter is one line at the single-rate price",
            tariffs: embedded,
            input: with(|i| {
                i.meter = Meter::day_night(6, 5_000, 2_000).unwrap();
                i.history = vec![day_night(100, 50); 3];
                i.months_without_readings = 4;
            }),
            lines: vec![(All, Norm, None, None, 70, vec![(31, 70, 736)], 51_520)],
            totals: (51_520, 51_520, 51_520),
        },
        Case {
            name: "overpaid: nothing due, the overpayment carries forward",
            tariffs: embedded,
            input: with(|i| {
                i.readings = Some(Registers::Single(1_150));
                i.opening_balance = Kopecks::new(-200_000);
            }),
            lines: vec![(All, Readings, Some(1_000), Some(1_150), 150, vec![(31, 150, 736)], 110_400)],
            totals: (110_400, -89_600, 0),
        },
        Case {
            name: "debt and payments in the period",
            tariffs: embedded,
            input: with(|i| {
                i.readings = Some(Registers::Single(1_150));
                i.opening_balance = Kopecks::new(50_000);
                i.payments = Kopecks::new(100_000);
            }),
            lines: vec![(All, Readings, Some(1_000), Some(1_150), 150, vec![(31, 150, 736)], 110_400)],
            totals: (110_400, 60_400, 60_400),
        },
        Case {
            name: "paid exactly: closing 0",
            tariffs: embedded,
            input: with(|i| {
                i.readings = Some(Registers::Single(1_150));
                i.opening_balance = Kopecks::new(-10_400);
                i.payments = Kopecks::new(100_000);
            }),
            lines: vec![(All, Readings, Some(1_000), Some(1_150), 150, vec![(31, 150, 736)], 110_400)],
            totals: (110_400, 0, 0),
        },
        Case {
            name: "price change on 16 July: 100 kWh → 48 × 6,58 + 52 × 7,36",
            tariffs: changing,
            input: with(|i| {
                i.period = p("2025-07");
                i.readings = Some(Registers::Single(1_100));
            }),
            lines: vec![(
                All,
                Readings,
                Some(1_000),
                Some(1_100),
                100,
                vec![(15, 48, 658), (16, 52, 736)],
                69_856,
            )],
            totals: (69_856, 69_856, 69_856),
        },
        Case {
            name: "rounding: 1 kWh over the change goes to the 16 days (remainder 16 > 15)",
            tariffs: changing,
            input: with(|i| {
                i.period = p("2025-07");
                i.readings = Some(Registers::Single(1_001));
            }),
            lines: vec![(All, Readings, Some(1_000), Some(1_001), 1, vec![(15, 0, 658), (16, 1, 736)], 736)],
            totals: (736, 736, 736),
        },
        Case {
            name: "rounding: 31 kWh split exactly 15 + 16",
            tariffs: changing,
            input: with(|i| {
                i.period = p("2025-07");
                i.readings = Some(Registers::Single(1_031));
            }),
            lines: vec![(
                All,
                Readings,
                Some(1_000),
                Some(1_031),
                31,
                vec![(15, 15, 658), (16, 16, 736)],
                21_646,
            )],
            totals: (21_646, 21_646, 21_646),
        },
        Case {
            name: "rounding: a tie (14 + 14 days in February) goes to the later run",
            tariffs: changing,
            input: with(|i| {
                i.period = p("2026-02");
                i.readings = Some(Registers::Single(1_003));
            }),
            lines: vec![(
                All,
                Readings,
                Some(1_000),
                Some(1_003),
                3,
                vec![(14, 1, 750), (14, 2, 800)],
                2_350,
            )],
            totals: (2_350, 2_350, 2_350),
        },
        Case {
            name: "rounding: three runs (10 + 10 + 11 days), 2 kWh",
            tariffs: changing,
            input: with(|i| {
                i.period = p("2025-10");
                i.readings = Some(Registers::Single(1_002));
            }),
            lines: vec![(
                All,
                Readings,
                Some(1_000),
                Some(1_002),
                2,
                vec![(10, 0, 736), (10, 1, 700), (11, 1, 750)],
                1_450,
            )],
            totals: (1_450, 1_450, 1_450),
        },
        Case {
            name: "day/night with a change inside the period",
            tariffs: changing,
            input: with(|i| {
                i.period = p("2025-07");
                i.meter = Meter::day_night(6, 5_000, 2_000).unwrap();
                i.readings = Some(day_night(5_120, 2_080));
            }),
            lines: vec![
                (Day, Readings, Some(5_000), Some(5_120), 120, vec![(15, 58, 730), (16, 62, 817)], 92_994),
                (Night, Readings, Some(2_000), Some(2_080), 80, vec![(15, 39, 507), (16, 41, 567)], 43_020),
            ],
            totals: (136_014, 136_014, 136_014),
        },
        Case {
            name: "the norm split over a change: 70 kWh → 34 × 6,58 + 36 × 7,36",
            tariffs: changing,
            input: with(|i| {
                i.period = p("2025-07");
                i.meter = Meter::None;
            }),
            lines: vec![(All, Norm, None, None, 70, vec![(15, 34, 658), (16, 36, 736)], 48_868)],
            totals: (48_868, 48_868, 48_868),
        },
    ];
    for case in cases {
        let bill =
            compute_bill(&case.input, &(case.tariffs)()).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(lines(&bill), case.lines, "{}", case.name);
        let totals = (bill.total_charge.get(), bill.closing_balance.get(), bill.amount_due.get());
        assert_eq!(totals, case.totals, "{}", case.name);
    }
}

#[test]
fn the_bill_carries_what_the_paper_bill_shows() {
    let mut i = input();
    i.readings = Some(Registers::Single(1_150));
    let bill = compute_bill(&i, &embedded()).unwrap();
    assert_eq!(
        (bill.period, bill.account.as_str(), bill.tariff.as_str()),
        (p("2025-08"), "180211111", "urban")
    );
    assert_eq!(bill.address, "г. Калуга, ул. Ленина, д. 1, кв. 1");
    assert_eq!((bill.meter, bill.digits, bill.rate), (MeterKind::Single, Some(5), RateType::Single));
    assert_eq!(bill.due_date, date(2025, 9, 10));
    assert_eq!(bill.payee, demo_payee());
    assert_eq!(bill.total_kwh(), 150);
    let segment = &bill.lines[0].segments[0];
    assert_eq!((segment.first_day, segment.last_day), (date(2025, 8, 1), date(2025, 8, 31)));
    assert_eq!(
        bill.qr_payload,
        "ST00012|Name=ПАО «Калужская сбытовая компания»|PersonalAcc=40702810822240101360\
         |BankName=КАЛУЖСКОЕ ОТДЕЛЕНИЕ N8608 ПАО СБЕРБАНК|BIC=042908612|CorrespAcc=30101810100000000612\
         |PayeeINN=4029012341|KPP=402901001|PersAcc=180211111|Sum=110400\
         |Purpose=Оплата электроэнергии за 08.2025, л/с 180211111|TechCode=02"
    );
    let json = serde_json::to_string(&bill).unwrap();
    assert_eq!(serde_json::from_str::<Bill>(&json).unwrap(), bill);
    assert!(json.contains(r#""period":"2025-08""#), "{json}");
}

#[test]
fn december_is_due_on_the_tenth_of_january_and_nothing_due_has_no_sum() {
    let mut i = input();
    i.period = p("2025-12");
    i.readings = Some(Registers::Single(1_010));
    i.opening_balance = Kopecks::new(-1_000_000);
    let bill = compute_bill(&i, &embedded()).unwrap();
    assert_eq!(bill.due_date, date(2026, 1, 10));
    assert_eq!(bill.amount_due, Kopecks::ZERO);
    assert!(!bill.qr_payload.contains("|Sum="), "{}", bill.qr_payload);
}

#[test]
fn refuses_inputs_that_cannot_be_billed() {
    let with = |change: fn(&mut BillInput)| {
        let mut i = input();
        change(&mut i);
        compute_bill(&i, &embedded()).unwrap_err()
    };
    assert_eq!(
        with(|i| {
            i.meter = Meter::None;
            i.readings = Some(Registers::Single(5));
        }),
        BillError::ReadingsWithoutMeter
    );
    assert_eq!(
        with(|i| i.readings = Some(day_night(1_100, 10))),
        BillError::ReadingsDoNotFitMeter { meter: MeterKind::Single, given: RateType::DayNight }
    );
    assert_eq!(
        with(|i| i.readings = Some(Registers::Single(999))),
        BillError::ReadingBelowPrevious { zone: Zone::All, previous: 1_000, current: 999 }
    );
    assert_eq!(
        with(|i| i.readings = Some(Registers::Single(100_000))),
        BillError::ReadingTooLarge { zone: Zone::All, reading: 100_000, digits: 5 }
    );
    assert_eq!(
        with(|i| i.history = vec![Registers::Single(1), day_night(1, 1)]),
        BillError::HistoryDoesNotFitMeter { index: 1, meter: MeterKind::Single, given: RateType::DayNight }
    );
    assert_eq!(with(|i| i.tariff = "dacha".into()), BillError::UnknownTariff("dacha".into()));
    assert_eq!(
        with(|i| i.period = p("2024-12")).to_string(),
        "no single/all price for tariff \"urban\" on 2024-12-01"
    );
    assert!(matches!(with(|i| i.payee.bic = "1".into()), BillError::Payee(e) if e.field == "bic"));
    assert_eq!(
        with(|i| i.history = vec![Registers::Single(u64::MAX); 3]),
        BillError::TooLarge,
        "an absurd history overflows cleanly"
    );
}

#[test]
fn split_kwh_examples() {
    assert_eq!(split_kwh(100, &[15, 16]), [48, 52]);
    assert_eq!(split_kwh(1, &[15, 16]), [0, 1]);
    assert_eq!(split_kwh(1, &[16, 15]), [1, 0]);
    assert_eq!(split_kwh(1, &[14, 14]), [0, 1]);
    assert_eq!(split_kwh(2, &[10, 10, 11]), [0, 1, 1]);
    assert_eq!(split_kwh(7, &[31]), [7]);
    assert_eq!(split_kwh(0, &[10, 21]), [0, 0]);
    assert_eq!(split_kwh(u64::MAX, &[1, 1]), [u64::MAX / 2, u64::MAX / 2 + 1]);
    assert_eq!(split_kwh(5, &[]), Vec::<u64>::new());
}

fn any_input() -> impl Strategy<Value = (BillInput, bool)> {
    (
        (0u8..3, 0u64..50_000, 0u64..50_000, 0u64..5_000, 0u64..5_000, any::<bool>()),
        proptest::collection::vec((0u64..3_000, 0u64..3_000), 0..5),
        (0u32..6, -2_000_000i64..2_000_000, 0i64..3_000_000),
        (2025i16..=2027, 1i8..=12, any::<bool>(), any::<bool>()),
    )
        .prop_map(|(meter, history, money, when)| {
            let (kind, day, night, used_day, used_night, has_readings) = meter;
            let (months, opening, payments) = money;
            let (year, month, rural, mid_month) = when;
            let mut i = input();
            i.period = Period::new(year, month).unwrap();
            i.tariff = if rural && !mid_month { "rural" } else { "urban" }.into();
            (i.meter, i.readings, i.history) = match kind {
                0 => (Meter::None, None, vec![]),
                1 => (
                    Meter::single(6, day).unwrap(),
                    has_readings.then_some(Registers::Single(day + used_day)),
                    history.iter().map(|(d, _)| Registers::Single(*d)).collect(),
                ),
                _ => (
                    Meter::day_night(6, day, night).unwrap(),
                    has_readings.then_some(day_night(day + used_day, night + used_night)),
                    history.iter().map(|(d, n)| day_night(*d, *n)).collect(),
                ),
            };
            i.months_without_readings = months;
            i.opening_balance = Kopecks::new(opening);
            i.payments = Kopecks::new(payments);
            (i, mid_month)
        })
}

proptest! {
    #[test]
    fn the_balance_always_adds_up_and_charges_are_never_negative((input, mid_month) in any_input()) {
        let tariffs = if mid_month { changing() } else { embedded() };
        let bill = compute_bill(&input, &tariffs).unwrap();
        let charges: i64 = bill.lines.iter().map(|l| l.charge.get()).sum();
        prop_assert_eq!(bill.total_charge.get(), charges);
        prop_assert_eq!(
            bill.closing_balance.get(),
            input.opening_balance.get() + charges - input.payments.get()
        );
        prop_assert_eq!(bill.amount_due, bill.closing_balance.max(Kopecks::ZERO));
        prop_assert_eq!(bill.qr_payload.contains("|Sum="), bill.amount_due > Kopecks::ZERO);
        for line in &bill.lines {
            prop_assert!(line.charge >= Kopecks::ZERO);
            prop_assert_eq!(line.segments.iter().map(|s| s.kwh).sum::<u64>(), line.consumption);
            prop_assert_eq!(line.segments.iter().map(|s| s.days).sum::<u32>(), input.period.days());
            prop_assert_eq!(line.segments.iter().map(|s| s.charge.get()).sum::<i64>(), line.charge.get());
            for s in &line.segments {
                prop_assert!(s.charge >= Kopecks::ZERO);
                prop_assert_eq!(s.charge.get(), i64::try_from(s.kwh).unwrap() * s.price.get());
            }
        }
    }

    #[test]
    fn each_part_is_within_one_kwh_of_its_exact_share(
        kwh in 0u64..1_000_000_000,
        days in proptest::collection::vec(1u32..=31, 1..5),
    ) {
        let parts = split_kwh(kwh, &days);
        prop_assert_eq!(parts.iter().sum::<u64>(), kwh);
        let total: u32 = days.iter().sum();
        for (part, d) in parts.iter().zip(&days) {
            let exact = u128::from(kwh) * u128::from(*d);
            let got = u128::from(*part) * u128::from(total);
            prop_assert!(got.abs_diff(exact) < u128::from(total), "{parts:?} for {days:?}");
        }
    }
}
