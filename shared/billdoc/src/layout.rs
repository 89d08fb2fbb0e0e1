//! Where everything on the bill goes, modelled on the paper bills of Russian energy retailers:
//! the supplier's requisites and the account number on top, the title, the payer, a boxed table
//! of readings and charges, the balance with the total due in bold, the due date, and below a
//! dashed cut line the payment slip (извещение) with the QR code.
//!
//! Black and white only: emphasis is bold type, heavier outlines and a light grey behind
//! headers, never colour. Thin rules (0.15 mm) inside tables, 0.35 mm around them.

use crate::model::{Align, Item, Layout, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, Weight};
use crate::page::{Col, HAIRLINE, OUTLINE, Page, RowStyle, baseline, fit, line_height};
use crate::qr;
use crate::sheet::BillSheet;

const LEFT: f32 = 15.0;
const RIGHT: f32 = PAGE_WIDTH_MM - 15.0;
const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 12.0;
const BOTTOM: f32 = PAGE_HEIGHT_MM - 12.0;
/// The least space between the notice and the cut line.
const MIN_GAP: f32 = 6.0;
/// The QR code's side; at 0.5 mm per module a bank app reads it from a printed page.
const QR_SIDE: f32 = 40.0;
/// Light grey behind header cells and the total: visible in print, never meaningful alone.
const SHADE: f32 = 0.88;
/// A lighter grey behind the labels of label/value tables.
const LABEL_SHADE: f32 = 0.95;
const BODY: f32 = 9.0;
const SMALL: f32 = 7.5;

/// Why a bill could not be laid out.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LayoutError {
    #[error("the QR payload ({bytes} bytes) does not fit in a QR code")]
    QrPayloadTooLong { bytes: usize },
    #[error("the bill does not fit on one A4 page")]
    DoesNotFit,
}

/// Places everything on one A4 page. Fails only when the QR payload is too long for a QR code
/// or the content (say, dozens of meter rows) runs off the page.
pub fn layout(sheet: &BillSheet) -> Result<Layout, LayoutError> {
    let mut page = Page::default();
    let y = header(&mut page, sheet);
    let y = page.paragraph(
        (PAGE_WIDTH_MM / 2.0, y + 4.0),
        WIDTH,
        13.0,
        Weight::Bold,
        Align::Center,
        &sheet.title,
    );
    let y = payer(&mut page, sheet, y + 3.0);
    let y = charges(&mut page, sheet, y + 5.0);
    let y = balance(&mut page, sheet, y + 5.0);

    // The slip is laid out from y = 0 and then moved down so it ends at the bottom margin, as
    // on paper; a long bill pushes it down until it no longer fits.
    let mut tear_off = Page::default();
    slip(&mut tear_off, sheet)?;
    let height = tear_off.items.iter().map(lowest).fold(0.0, f32::max);
    let cut = (BOTTOM - height).max(y + MIN_GAP);
    if cut + height > BOTTOM + 1e-3 {
        return Err(LayoutError::DoesNotFit);
    }
    page.items.extend(tear_off.items.into_iter().map(|item| shift(item, cut)));
    Ok(Layout { title: sheet.title.clone(), author: sheet.company.name.clone(), items: page.items })
}

/// The supplier's name and requisites on the left, the account number boxed on the right, a
/// heavy rule below. Returns the rule's y.
fn header(page: &mut Page, sheet: &BillSheet) -> f32 {
    let c = &sheet.company;
    let text_width = 118.0;
    let mut y = page.paragraph((LEFT, TOP), text_width, 11.0, Weight::Bold, Align::Left, &c.name);
    let tax_ids = join(&[labelled("ИНН", &c.inn), labelled("КПП", &c.kpp)], ", ");
    let contacts = join(
        &[labelled("Тел.:", &c.phone), labelled("E-mail:", &c.email), labelled("Сайт:", &c.website)],
        " · ",
    );
    for line in [&c.address, &tax_ids, &c.bank, &contacts] {
        y = page.paragraph((LEFT, y + 0.3), text_width, SMALL, Weight::Regular, Align::Left, line);
    }

    let (box_x, box_w) = (RIGHT - 52.0, 52.0);
    page.frame((box_x, TOP, box_w, 19.0), None, Some(OUTLINE));
    page.frame((box_x, TOP, box_w, 6.0), Some(SHADE), None);
    page.rule((box_x, TOP + 6.0), (RIGHT, TOP + 6.0), HAIRLINE, false);
    let centre = box_x + box_w / 2.0;
    page.text(centre, baseline(TOP + 1.0, SMALL), SMALL, Weight::Bold, Align::Center, "ЛИЦЕВОЙ СЧЁТ");
    let size = fit(&sheet.account, box_w - 4.0, 16.0, 9.0, Weight::Bold);
    page.text(centre, TOP + 15.5, size, Weight::Bold, Align::Center, &sheet.account);

    let rule_y = y.max(TOP + 19.0) + 2.0;
    page.rule((LEFT, rule_y), (RIGHT, rule_y), 0.6, false);
    rule_y
}

fn payer(page: &mut Page, sheet: &BillSheet, top: f32) -> f32 {
    let cols = [
        Col { shade: Some(LABEL_SHADE), ..Col::new(42.0, Align::Left) },
        Col::new(WIDTH - 42.0, Align::Left),
    ];
    let label = RowStyle::body(BODY);
    let rows: Vec<(RowStyle, Vec<&str>)> = [
        ("Плательщик", sheet.payer.as_str()),
        ("Адрес помещения", &sheet.address),
        ("Лицевой счёт", &sheet.account),
        ("Расчётный период", &sheet.period),
        ("Прибор учёта", &sheet.meter),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| (label, vec![name, value]))
    .collect();
    bottom(&page.table((LEFT, top), &cols, &rows))
}

/// Readings, consumption, tariff and charge per zone.
fn charges(page: &mut Page, sheet: &BillSheet, top: f32) -> f32 {
    page.text(
        LEFT,
        baseline(top, BODY),
        BODY,
        Weight::Bold,
        Align::Left,
        "Показания прибора учёта и начисления",
    );
    let top = top + line_height(BODY) + 1.0;
    let widths = [20.0, 26.0, 38.0, 22.0, 42.0, 32.0];
    let aligns = [Align::Left, Align::Right, Align::Right, Align::Right, Align::Right, Align::Right];
    let cols: Vec<Col> = widths.iter().zip(aligns).map(|(&width, align)| Col::new(width, align)).collect();
    let head =
        RowStyle { size_pt: SMALL, weight: Weight::Bold, align: Some(Align::Center), fill_grey: Some(SHADE) };
    let mut rows = vec![(
        head,
        vec!["Зона", "Предыдущие показания", "Текущие показания", "Расход, кВт·ч", "Тариф", "Начислено, ₽"],
    )];
    for r in &sheet.meter_rows {
        let cells = vec![&*r.zone, &*r.previous, &*r.current, &*r.consumption, &*r.tariff, &*r.charge];
        rows.push((RowStyle::body(BODY), cells));
    }
    bottom(&page.table((LEFT, top), &cols, &rows))
}

/// The balance lines, the total due in bold, the due date and the notice.
fn balance(page: &mut Page, sheet: &BillSheet, top: f32) -> f32 {
    page.text(LEFT, baseline(top, BODY), BODY, Weight::Bold, Align::Left, "Расчёт суммы к оплате");
    let top = top + line_height(BODY) + 1.0;
    let cols = [Col::new(WIDTH - 40.0, Align::Left), Col::new(40.0, Align::Right)];
    let head =
        RowStyle { size_pt: SMALL, weight: Weight::Bold, align: Some(Align::Center), fill_grey: Some(SHADE) };
    let mut rows = vec![(head, vec!["Показатель", "Сумма, ₽"])];
    rows.extend(sheet.balance.iter().map(|l| (RowStyle::body(BODY), vec![&*l.label, &*l.amount])));
    let total = RowStyle { size_pt: 11.0, weight: Weight::Bold, align: None, fill_grey: Some(SHADE) };
    rows.push((total, vec!["Итого к оплате", &sheet.total_due]));
    let edges = page.table((LEFT, top), &cols, &rows);
    let (total_top, bottom) = (edges[edges.len() - 2], self::bottom(&edges));
    page.frame((LEFT, total_top, WIDTH, bottom - total_top), None, Some(0.6));

    let y = page.paragraph((LEFT, bottom + 2.5), WIDTH, 11.0, Weight::Bold, Align::Left, &sheet.due_date);
    page.paragraph((LEFT, y + 1.0), WIDTH, SMALL, Weight::Regular, Align::Left, &sheet.notice)
}

/// Below the dashed cut line: the payment slip, requisites on the left and the QR on the right.
/// Laid out with the cut line at y = 0. Compact: the period goes in the heading, the payee's
/// tax ids and bank details share one row, and the due date sits next to the total.
fn slip(page: &mut Page, sheet: &BillSheet) -> Result<(), LayoutError> {
    page.rule((LEFT - 5.0, 0.0), (RIGHT + 5.0, 0.0), 0.25, true);
    page.text(RIGHT, -1.0, 6.0, Weight::Regular, Align::Right, "✂ линия отреза");
    let top = 4.0;
    page.text(LEFT, baseline(top, 10.0), 10.0, Weight::Bold, Align::Left, "ИЗВЕЩЕНИЕ");
    let heading = match sheet.period.as_str() {
        "" => "платёжный документ".to_owned(),
        period => format!("платёжный документ за период {period}"),
    };
    page.text(LEFT + 30.0, baseline(top, 10.0), SMALL, Weight::Regular, Align::Left, &heading);
    let top = top + line_height(10.0) + 1.0;

    let c = &sheet.company;
    let requisites = join(&[labelled("ИНН", &c.inn), labelled("КПП", &c.kpp), c.bank.clone()], ", ");
    let total = format!("{} ₽", sheet.total_due);
    let width = WIDTH - QR_SIDE - 6.0;
    let cols = [
        Col { shade: Some(LABEL_SHADE), ..Col::new(34.0, Align::Left) },
        Col::new(width - 34.0, Align::Left),
    ];
    let label = RowStyle::body(SMALL);
    let mut rows: Vec<(RowStyle, Vec<&str>)> = [
        ("Получатель", c.name.as_str()),
        ("Реквизиты", &requisites),
        ("Лицевой счёт", &sheet.account),
        ("Плательщик", &sheet.payer),
        ("Адрес", &sheet.address),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| (label, vec![name, value]))
    .collect();
    rows.push((RowStyle { size_pt: 10.0, weight: Weight::Bold, ..label }, vec!["К оплате", &total]));
    let edges = page.table((LEFT, top), &cols, &rows);
    // The due date, right-aligned in the total's row.
    let total_top = edges[edges.len() - 2];
    let due_size = fit(&sheet.due_date, width - 34.0 - 40.0, BODY, 6.0, Weight::Bold);
    let due_y = baseline(total_top + (bottom(&edges) - total_top - line_height(due_size)) / 2.0, due_size);
    page.text(LEFT + width - 1.5, due_y, due_size, Weight::Bold, Align::Right, &sheet.due_date);

    let qr_x = RIGHT - QR_SIDE;
    let qr = qr::matrix(&sheet.qr_payload, qr_x, top, QR_SIDE)
        .ok_or(LayoutError::QrPayloadTooLong { bytes: sheet.qr_payload.len() })?;
    page.items.push(Item::Qr(qr));
    let caption = "Отсканируйте в приложении банка";
    page.paragraph(
        (qr_x + QR_SIDE / 2.0, top + QR_SIDE + 2.5),
        QR_SIDE + 4.0,
        6.5,
        Weight::Regular,
        Align::Center,
        caption,
    );
    Ok(())
}

fn bottom(edges: &[f32]) -> f32 {
    edges.last().copied().unwrap_or_default()
}

/// Moves an item down by `dy`.
fn shift(mut item: Item, dy: f32) -> Item {
    match &mut item {
        Item::Text(t) => t.y += dy,
        Item::Rule(r) => (r.y1, r.y2) = (r.y1 + dy, r.y2 + dy),
        Item::Frame(f) => f.y += dy,
        Item::Qr(q) => q.y += dy,
    }
    item
}

fn lowest(item: &Item) -> f32 {
    match item {
        Item::Text(t) => t.y,
        Item::Rule(r) => r.y1.max(r.y2),
        Item::Frame(f) => f.y + f.h,
        Item::Qr(q) => q.y + q.side_mm(),
    }
}

pub(crate) fn labelled(label: &str, value: &str) -> String {
    if value.is_empty() { String::new() } else { format!("{label} {value}") }
}

pub(crate) fn join(parts: &[String], separator: &str) -> String {
    parts.iter().filter(|p| !p.is_empty()).map(String::as_str).collect::<Vec<_>>().join(separator)
}
