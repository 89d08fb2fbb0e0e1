//! What the caller puts on the bill: display-ready strings only.
//!
//! The bill computation owns numbers, rounding, dates and wording of amounts; this crate only
//! places text. Amounts are formatted without the currency sign («1 234,56»): the column
//! headers and the payment slip add «₽». A `'\n'` in a table cell starts a new line in that
//! cell (a tariff that changed inside the month takes two lines). Empty optional fields are
//! left off the page.

/// The supplier's requisites, printed in the header and on the payment slip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Company {
    /// «ПАО «Калужская сбытовая компания»».
    pub name: String,
    /// Postal address.
    pub address: String,
    pub inn: String,
    pub kpp: String,
    /// Bank details in one line: «р/с … в …, БИК …, к/с …».
    pub bank: String,
    pub phone: String,
    pub email: String,
    pub website: String,
}

/// One row of the readings and charges table: one zone («День», «Ночь», «Общий»).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeterRow {
    pub zone: String,
    pub previous: String,
    /// The current reading, or «расчёт по среднему» / «по нормативу».
    pub current: String,
    /// Consumption in kWh.
    pub consumption: String,
    /// «7,36 ₽/кВт·ч»; two lines when the price changed inside the month.
    pub tariff: String,
    /// The charge for this zone.
    pub charge: String,
}

/// One line of the balance table («Задолженность на начало периода», «Начислено за период»…).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BalanceLine {
    pub label: String,
    pub amount: String,
}

/// Everything on one bill.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BillSheet {
    pub company: Company,
    /// «Счёт за электроэнергию за январь 2026 г.»
    pub title: String,
    /// The account number (лицевой счёт).
    pub account: String,
    /// The payer's full name; optional.
    pub payer: String,
    /// The address of the premises.
    pub address: String,
    /// The billing period, e.g. «01.01.2026 – 31.01.2026».
    pub period: String,
    /// The meter: type and number; optional (no meter: billed by the norm).
    pub meter: String,
    pub meter_rows: Vec<MeterRow>,
    /// Opening debt or overpayment, charged, paid in the period, recalculations, penalties…
    pub balance: Vec<BalanceLine>,
    /// The total due, printed in bold («Итого к оплате»).
    pub total_due: String,
    /// «Оплатить до 10 февраля 2026 г.»
    pub due_date: String,
    /// A short notice under the totals; optional.
    pub notice: String,
    /// The GOST R 56042 payload, `ST00012|Name=…|…`, encoded as UTF-8 bytes in the QR code.
    pub qr_payload: String,
}
