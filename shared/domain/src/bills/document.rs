//! The bill as a document (B1): a computed [`Bill`] written out as the display strings of a
//! [`BillSheet`], rendered once and stored under `bills/<period>/<account>.pdf|png`. Views and
//! mails use the stored files; nothing renders per view.
//!
//! The PDF is rendered when the bill is posted (1–2 ms). The PNG costs ten times as much
//! (rasterising A4 at 150 dpi, about 18 ms) and most customers never open it, so it is
//! rendered the first time it is needed ([`ensure_png`]): for a customer who gets bills as PNG
//! by mail, at posting; otherwise at the first view. Either way once: the bill item's `png`
//! flag records it.

use svet_billdoc::{BalanceLine, BillSheet, Company, MeterRow};

use super::PostedBill;
use crate::billing::{Basis, Bill, MeterKind, Zone, date_dots, date_ru};
use crate::documents::{DocKey, Document, DocumentError, Documents};
use crate::store::{Condition, Item, Store, StoreError, Write};
use crate::{AccountNumber, Config, Kopecks};

/// The PNG's resolution: A4 at 150 dpi is 1240 × 1754 px, sharp on a phone and printable.
pub const PNG_DPI: u32 = 150;

/// The two formats a bill is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Png,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Pdf, Format::Png];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Png => "image/png",
        }
    }
}

/// Where a bill's document is stored.
pub fn doc_key(account: &AccountNumber, period: crate::billing::Period, format: Format) -> DocKey {
    // An account number is digits and a period is `YYYY-MM`: the key is always valid.
    DocKey::parse(&format!("bills/{period}/{account}.{}", format.extension()))
        .unwrap_or_else(|_| unreachable!("digits and a period make a valid key"))
}

/// The file name a customer sees when saving the bill: `schet-2026-01-180211111.pdf`.
pub fn file_name(bill: &Bill, format: Format) -> String {
    format!("schet-{}-{}.{}", bill.period, bill.account, format.extension())
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the bill does not fit its page: {0}")]
    Layout(#[from] svet_billdoc::LayoutError),
    #[error("the PNG could not be drawn: {0}")]
    Png(#[from] svet_billdoc::RenderError),
    #[error(transparent)]
    Store(#[from] DocumentError),
}

/// Renders the bill in `format` and stores it.
pub async fn render_and_store(
    documents: &dyn Documents,
    config: &Config,
    bill: &Bill,
    format: Format,
) -> Result<(), RenderError> {
    let layout = svet_billdoc::layout(&sheet(config, bill))?;
    let bytes = match format {
        Format::Pdf => svet_billdoc::pdf(&layout),
        Format::Png => svet_billdoc::png(&layout, PNG_DPI)?,
    };
    let doc = Document { bytes, content_type: format.content_type().to_owned() };
    documents.put(&doc_key(&bill.account, bill.period, format), doc).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum EnsureError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes sure the posted bill's PNG is stored: renders and stores it, and records that on the
/// bill item, unless that was done before. Returns whether it rendered. Two callers at once
/// may both render; they store the same bytes, and one flag write wins.
pub async fn ensure_png(
    store: &dyn Store,
    documents: &dyn Documents,
    config: &Config,
    account: &AccountNumber,
    period: crate::billing::Period,
) -> Result<bool, EnsureError> {
    let key = super::bill_key(account, period);
    let Some(item) = store.get(&key).await? else {
        return Ok(false);
    };
    let mut posted: PostedBill = item.to_serde()?;
    if posted.png {
        return Ok(false);
    }
    render_and_store(documents, config, &posted.bill, Format::Png).await?;
    posted.png = true;
    let mut next = Item::from_serde(key, &posted)?;
    next.version = item.version + 1;
    match store.transact(vec![Write::Put { item: next, condition: Condition::VersionIs(item.version) }]).await
    {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// The bill's PDF and PNG bytes.
pub fn render(config: &Config, bill: &Bill) -> Result<(Vec<u8>, Vec<u8>), RenderError> {
    let layout = svet_billdoc::layout(&sheet(config, bill))?;
    Ok((svet_billdoc::pdf(&layout), svet_billdoc::png(&layout, PNG_DPI)?))
}

/// Non-breaking spaces keep «1 234,56» and «12 345 кВт·ч» on one line.
fn nb(text: &str) -> String {
    text.replace(' ', "\u{a0}")
}

fn rubles(amount: Kopecks) -> String {
    nb(&amount.format_rubles())
}

fn kwh(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// The supplier as the bill's and the receipt's header print it.
pub fn company(config: &Config, payee: &crate::billing::Payee) -> Company {
    let c = &config.company;
    let p = payee;
    let website =
        c.website.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    Company {
        name: p.name.clone(),
        address: c.address.clone(),
        inn: p.inn.clone(),
        kpp: p.kpp.clone(),
        bank: format!("р/с {} в {}, БИК {}, к/с {}", p.account, p.bank_name, p.bic, p.correspondent_account),
        phone: c.support_phone.clone(),
        email: c.support_email.clone(),
        website: website.to_owned(),
    }
}

/// The bill's display strings, as the paper bill prints them.
pub fn sheet(config: &Config, bill: &Bill) -> BillSheet {
    let c = &config.company;
    let p = &bill.payee;
    let website =
        c.website.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    let tariff_name = config.tariff(&bill.tariff).map_or(bill.tariff.as_str(), |t| t.name.as_str());
    let meter = match (bill.meter, bill.digits) {
        (MeterKind::None, _) => "не установлен (начисление по нормативу)".to_owned(),
        (kind, Some(digits)) => format!("{}, {digits} разрядов", kind.label_ru()),
        (kind, None) => kind.label_ru().to_owned(),
    };
    let meter_rows = bill
        .lines
        .iter()
        .map(|line| {
            // The paper bill's words, short enough for the zone column.
            let zone_label = match line.zone {
                Zone::All => "Общий",
                Zone::Day => "День",
                Zone::Night => "Ночь",
            }
            .to_owned();
            let current = match (line.basis, line.current) {
                (Basis::Readings, Some(current)) => kwh(current),
                (Basis::Estimated, _) => "расчёт по среднему".to_owned(),
                (Basis::Norm, _) => "по нормативу".to_owned(),
                (Basis::Readings, None) => "—".to_owned(),
            };
            let tariff = line
                .segments
                .iter()
                .map(|s| {
                    let price = nb(&format!("{} ₽/кВт·ч", s.price.format_rubles()));
                    if line.segments.len() > 1 {
                        format!("{price} ({}–{})", s.first_day.day(), s.last_day.day())
                    } else {
                        price
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            MeterRow {
                zone: zone_label,
                previous: line.previous.map_or_else(|| "—".to_owned(), kwh),
                current,
                consumption: kwh(line.consumption),
                tariff,
                charge: rubles(line.charge),
            }
        })
        .collect();
    let mut balance = vec![
        if bill.opening_balance < Kopecks::ZERO {
            BalanceLine {
                label: "Переплата на начало периода".to_owned(),
                amount: rubles(Kopecks::new(-bill.opening_balance.get())),
            }
        } else {
            BalanceLine {
                label: "Задолженность на начало периода".to_owned(),
                amount: rubles(bill.opening_balance),
            }
        },
        BalanceLine {
            label: "Начислено за период".to_owned(), amount: rubles(bill.total_charge)
        },
        BalanceLine { label: "Оплачено в периоде".to_owned(), amount: rubles(bill.payments) },
    ];
    if bill.closing_balance < Kopecks::ZERO {
        balance.push(BalanceLine {
            label: "Переплата на конец периода (учитывается в следующем счёте)".to_owned(),
            amount: rubles(Kopecks::new(-bill.closing_balance.get())),
        });
    }
    let mut notice = format!(
        "Тариф: {tariff_name}. Показания принимаются до 25-го числа месяца в личном кабинете {website} \
         и по телефону {}. Без показаний начисление производится по среднему потреблению, после трёх \
         месяцев — по нормативу.",
        c.support_phone
    );
    if bill.lines.iter().any(|l| l.basis == Basis::Estimated) {
        notice.push_str(" В этом месяце показания не поступили: начислено по среднему потреблению.");
    }
    BillSheet {
        company: company(config, p),
        title: format!("Счёт за электроэнергию за {} г.", bill.period.name_ru()),
        account: bill.account.to_string(),
        payer: String::new(),
        address: bill.address.clone(),
        period: format!("{} – {}", date_dots(bill.period.first_day()), date_dots(bill.period.last_day())),
        meter,
        meter_rows,
        balance,
        total_due: rubles(bill.amount_due),
        due_date: format!("Оплатить до {}", date_ru(bill.due_date)),
        notice,
        qr_payload: bill.qr_payload.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::{BillInput, Period, Registers, Tariffs, compute_bill};
    use crate::{Config, Meter};

    fn config() -> Config {
        Config::parse(crate::config::DEFAULT_TOML).unwrap()
    }

    fn bill(change: impl FnOnce(&mut BillInput)) -> Bill {
        let config = config();
        let mut input = BillInput {
            period: Period::parse("2026-01").unwrap(),
            account: AccountNumber::parse("180211111").unwrap(),
            address: "г. Калуга, ул. Ленина, д. 1, кв. 1".into(),
            tariff: "urban".into(),
            meter: Meter::single(5, 1_000).unwrap(),
            readings: Some(Registers::Single(1_250)),
            history: vec![],
            months_without_readings: 0,
            opening_balance: Kopecks::new(50_000),
            payments: Kopecks::ZERO,
            payee: config.payee.clone(),
        };
        change(&mut input);
        compute_bill(&input, &Tariffs::embedded().unwrap()).unwrap()
    }

    #[test]
    fn a_bill_on_readings_prints_its_readings_and_amounts() {
        let sheet = sheet(&config(), &bill(|_| {}));
        assert_eq!(sheet.title, "Счёт за электроэнергию за январь 2026 г.");
        assert_eq!(sheet.period, "01.01.2026 – 31.01.2026");
        let row = &sheet.meter_rows[0];
        assert_eq!(
            (row.zone.as_str(), row.previous.as_str(), row.current.as_str(), row.consumption.as_str()),
            ("Общий", "1\u{a0}000", "1\u{a0}250", "250")
        );
        assert_eq!(row.tariff, "7,36\u{a0}₽/кВт·ч");
        assert_eq!(row.charge, "1\u{a0}840,00");
        assert_eq!(sheet.balance[0].label, "Задолженность на начало периода");
        assert_eq!(sheet.total_due, "2\u{a0}340,00", "500,00 owed + 250 kWh × 7,36");
        assert_eq!(sheet.due_date, "Оплатить до 10 февраля 2026 г.");
        assert!(sheet.notice.starts_with("Тариф: Население (городское)."), "{}", sheet.notice);
        assert_eq!(sheet.company.website, "svet.kaluga.ru");
        assert!(sheet.company.bank.starts_with("р/с 40702810822240101360 в "), "{}", sheet.company.bank);
    }

    #[test]
    fn an_overpaid_bill_by_the_norm_says_so() {
        let sheet = sheet(
            &config(),
            &bill(|input| {
                input.meter = Meter::None;
                input.readings = None;
                input.opening_balance = Kopecks::new(-1_000_000);
            }),
        );
        assert_eq!(sheet.meter, "не установлен (начисление по нормативу)");
        assert_eq!(sheet.meter_rows[0].current, "по нормативу");
        assert_eq!(sheet.meter_rows[0].previous, "—");
        assert_eq!(sheet.balance[0].label, "Переплата на начало периода");
        assert_eq!(sheet.balance[0].amount, "10\u{a0}000,00");
        assert!(sheet.balance.last().unwrap().label.starts_with("Переплата на конец периода"));
        assert_eq!(sheet.total_due, "0,00");
    }

    #[test]
    fn an_estimate_is_marked() {
        let sheet = sheet(
            &config(),
            &bill(|input| {
                input.readings = None;
                input.history = vec![Registers::Single(100), Registers::Single(110), Registers::Single(120)];
            }),
        );
        assert_eq!(sheet.meter_rows[0].current, "расчёт по среднему");
        assert_eq!(sheet.meter_rows[0].consumption, "110");
        assert!(sheet.notice.contains("начислено по среднему потреблению"), "{}", sheet.notice);
    }

    #[test]
    fn every_demo_bill_fits_its_page_and_renders() {
        let (pdf, png) = render(&config(), &bill(|_| {})).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(png.starts_with(b"\x89PNG\r\n"));
        // A long address still fits (the registry allows 300 characters).
        let long = bill(|input| input.address = "г. Калуга, ".repeat(27));
        assert!(render(&config(), &long).is_ok());
    }
}
