//! A payment's receipt (P4) on one A4 page: the supplier's requisites, the title, and a boxed
//! label/value table (date, time, amount, payment id, readings, account, address, status),
//! with a closing note. The same primitives as the bill, so the receipt prints like it.

use crate::layout::{join, labelled};
use crate::model::{Align, Layout, PAGE_WIDTH_MM, Weight};
use crate::page::{Col, Page, RowStyle};
use crate::sheet::Company;

const LEFT: f32 = 15.0;
const RIGHT: f32 = PAGE_WIDTH_MM - 15.0;
const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 12.0;
const LABEL_SHADE: f32 = 0.95;
const LABEL_WIDTH: f32 = 55.0;

/// What the caller puts on the receipt: display-ready strings. Rows with an empty value are
/// left off.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptSheet {
    pub company: Company,
    /// «Квитанция об оплате №…».
    pub title: String,
    /// Label and value, in order.
    pub rows: Vec<(String, String)>,
    /// Under the table, small type.
    pub note: String,
}

/// Places the receipt on one A4 page. It always fits: a receipt has a handful of short rows.
pub fn receipt_layout(sheet: &ReceiptSheet) -> Layout {
    let mut page = Page::default();
    let c = &sheet.company;
    let mut y = page.paragraph((LEFT, TOP), WIDTH, 11.0, Weight::Bold, Align::Left, &c.name);
    let tax_ids = join(&[labelled("ИНН", &c.inn), labelled("КПП", &c.kpp)], ", ");
    let contacts = join(
        &[labelled("Тел.:", &c.phone), labelled("E-mail:", &c.email), labelled("Сайт:", &c.website)],
        " · ",
    );
    for line in [&c.address, &tax_ids, &contacts] {
        y = page.paragraph((LEFT, y + 0.3), WIDTH, 7.5, Weight::Regular, Align::Left, line);
    }
    y += 2.0;
    page.rule((LEFT, y), (RIGHT, y), 0.6, false);
    let y = page.paragraph(
        (PAGE_WIDTH_MM / 2.0, y + 6.0),
        WIDTH,
        14.0,
        Weight::Bold,
        Align::Center,
        &sheet.title,
    );
    let cols = [
        Col { shade: Some(LABEL_SHADE), ..Col::new(LABEL_WIDTH, Align::Left) },
        Col::new(WIDTH - LABEL_WIDTH, Align::Left),
    ];
    let style = RowStyle::body(11.0);
    let rows: Vec<(RowStyle, Vec<&str>)> = sheet
        .rows
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(label, value)| (style, vec![label.as_str(), value.as_str()]))
        .collect();
    let edges = page.table((LEFT, y + 5.0), &cols, &rows);
    let bottom = edges.last().copied().unwrap_or(y);
    page.paragraph((LEFT, bottom + 4.0), WIDTH, 8.5, Weight::Regular, Align::Left, &sheet.note);
    Layout { title: sheet.title.clone(), author: c.name.clone(), items: page.items }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> ReceiptSheet {
        ReceiptSheet {
            company: Company {
                name: "ПАО «Тестовая сбытовая компания»".into(), ..Company::default()
            },
            title: "Квитанция об оплате".into(),
            rows: vec![
                ("Дата".into(), "25.11.2026".into()),
                ("Сумма".into(), "1 234,50 ₽".into()),
                ("Показания".into(), String::new()),
            ],
            note: "Оплата принята банком.".into(),
        }
    }

    #[test]
    fn every_filled_row_is_on_the_page_and_empty_ones_are_not() {
        let layout = receipt_layout(&sheet());
        let texts: Vec<&str> = layout.text_runs().map(|r| r.text.as_str()).collect();
        for expected in
            ["Квитанция об оплате", "Дата", "25.11.2026", "Сумма", "1 234,50 ₽", "Оплата принята банком."]
        {
            assert!(texts.contains(&expected), "{expected} missing from {texts:?}");
        }
        assert!(!texts.contains(&"Показания"), "an empty row is printed: {texts:?}");
    }
}
