//! The 54-FZ cheque sent with register.do as `orderBundle`: the buyer's e-mail, to which the
//! bank's online cash register sends the electronic cheque, and one line: electricity for one
//! account and billing period (domain.md §2.8).
//!
//! The fiscal codes (VAT type, payment method, payment object) depend on the retailer's tax
//! regime and the bank's fiscal settings, so they are configuration, not constants here.

use std::fmt;

use serde_json::{Value, json};
use svet_domain::billing::Period;
use svet_domain::identity::input::Email;
use svet_domain::{AccountNumber, Kopecks};

/// ISO 4217 numeric code of the rouble, as the gateway writes it.
pub const RUB: u16 = 643;

/// The line's VAT type (`tax.taxType`, FFD tag 1199).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxType {
    /// 0: no VAT.
    NoVat,
    /// 1: VAT 0 %.
    Vat0,
    /// 2: VAT 10 %.
    Vat10,
    /// 4: VAT at the calculated rate 10/110.
    Vat10Included,
    /// 6: VAT 20 %.
    Vat20,
    /// 7: VAT at the calculated rate 20/120.
    Vat20Included,
    /// Another code the bank gives (for a rate the reference does not list); sent without
    /// `taxSum`, which the bank then computes.
    Other(u8),
}

impl TaxType {
    pub fn code(self) -> u8 {
        match self {
            Self::NoVat => 0,
            Self::Vat0 => 1,
            Self::Vat10 => 2,
            Self::Vat10Included => 4,
            Self::Vat20 => 6,
            Self::Vat20Included => 7,
            Self::Other(code) => code,
        }
    }

    /// The VAT contained in a price that includes it, rounded half up to the kopeck:
    /// `10000 × 20/120 = 1667`. `None` for codes without a known rate.
    pub fn tax_sum(self, amount: Kopecks) -> Option<Kopecks> {
        let rate: i64 = match self {
            Self::NoVat | Self::Vat0 => 0,
            Self::Vat10 | Self::Vat10Included => 10,
            Self::Vat20 | Self::Vat20Included => 20,
            Self::Other(_) => return None,
        };
        let amount = amount.get();
        let denominator = 100 + rate;
        Some(Kopecks::new((2 * amount * rate + denominator) / (2 * denominator)))
    }
}

/// The payment method of the line (`paymentMethod`, FFD tag 1214). Paying the current bill is
/// a full settlement; paying more than it is an advance (domain.md §2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    /// 1: full prepayment.
    FullPrepayment,
    /// 2: partial prepayment.
    Prepayment,
    /// 3: advance.
    Advance,
    /// 4: full settlement.
    FullPayment,
}

impl PaymentMethod {
    pub fn code(self) -> u8 {
        match self {
            Self::FullPrepayment => 1,
            Self::Prepayment => 2,
            Self::Advance => 3,
            Self::FullPayment => 4,
        }
    }
}

/// What is sold (`paymentObject`, FFD tag 1212).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentObject {
    /// 1: a commodity (товар).
    Commodity,
    /// 4: a service (услуга).
    Service,
    /// Another FFD code, as the bank's fiscal settings require.
    Other(u8),
}

impl PaymentObject {
    pub fn code(self) -> u8 {
        match self {
            Self::Commodity => 1,
            Self::Service => 4,
            Self::Other(code) => code,
        }
    }
}

/// The retailer's fiscal settings for the electricity line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiscalSettings {
    pub tax: TaxType,
    pub payment_object: PaymentObject,
}

/// The cheque for one payment. The line's amount is the order's amount, so the cart always
/// adds up to the order (the gateway refuses a mismatch with error 8).
#[derive(Clone, PartialEq, Eq)]
pub struct Cheque {
    /// Where the bank's cash register sends the electronic cheque; mandatory for card payments.
    pub email: Email,
    pub account: AccountNumber,
    pub period: Period,
    pub payment_method: PaymentMethod,
    pub fiscal: FiscalSettings,
}

impl fmt::Debug for Cheque {
    /// Without the e-mail and with the account masked: a cheque may end up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cheque")
            .field("email", &"***")
            .field("account", &self.account.masked())
            .field("period", &self.period.to_string())
            .field("payment_method", &self.payment_method)
            .field("fiscal", &self.fiscal)
            .finish()
    }
}

impl Cheque {
    /// The line's name on the cheque: «Электроэнергия, л/с 180211111, январь 2026».
    pub fn item_name(&self) -> String {
        format!("Электроэнергия, л/с {}, {}", self.account.as_str(), self.period.name_ru())
    }

    /// `orderBundle` in the legacy gateway's shape (reference §2): `customerDetails.email` and
    /// one cart item of quantity 1 whose price and amount are the order's amount.
    pub fn order_bundle(&self, amount: Kopecks) -> Value {
        let mut tax = json!({ "taxType": self.fiscal.tax.code() });
        if let Some(sum) = self.fiscal.tax.tax_sum(amount) {
            tax["taxSum"] = json!(sum.get());
        }
        json!({
            "customerDetails": { "email": self.email.as_str() },
            "cartItems": { "items": [{
                "positionId": "1",
                "name": self.item_name(),
                "quantity": { "value": 1, "measure": "шт" },
                "itemAmount": amount.get(),
                "itemCurrency": RUB,
                "itemCode": format!("electricity-{}-{}", self.account.as_str(), self.period),
                "itemPrice": amount.get(),
                "tax": tax,
                "itemAttributes": { "attributes": [
                    { "name": "paymentMethod", "value": self.payment_method.code().to_string() },
                    { "name": "paymentObject", "value": self.fiscal.payment_object.code().to_string() },
                ]},
            }]},
        })
    }
}

#[cfg(test)]
mod tests {
    use svet_domain::identity::input::parse_email;

    use super::*;

    pub(crate) fn cheque() -> Cheque {
        Cheque {
            email: parse_email("ivanov@example.ru").unwrap(),
            account: AccountNumber::parse("180211111").unwrap(),
            period: Period::new(2026, 1).unwrap(),
            payment_method: PaymentMethod::FullPayment,
            fiscal: FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
        }
    }

    #[test]
    fn the_bundle_has_the_email_and_one_electricity_line_for_the_whole_amount() {
        let bundle = cheque().order_bundle(Kopecks::new(123_456));
        let expected = json!({
            "customerDetails": { "email": "ivanov@example.ru" },
            "cartItems": { "items": [{
                "positionId": "1",
                "name": "Электроэнергия, л/с 180211111, январь 2026",
                "quantity": { "value": 1, "measure": "шт" },
                "itemAmount": 123_456,
                "itemCurrency": 643,
                "itemCode": "electricity-180211111-2026-01",
                "itemPrice": 123_456,
                "tax": { "taxType": 6, "taxSum": 20_576 },
                "itemAttributes": { "attributes": [
                    { "name": "paymentMethod", "value": "4" },
                    { "name": "paymentObject", "value": "1" },
                ]},
            }]},
        });
        assert_eq!(bundle, expected);
    }

    #[test]
    fn tax_sums_are_the_included_vat_rounded_half_up() {
        // The reference's example: 100,00 ₽ at 20 % carries 16,67 ₽ of VAT.
        assert_eq!(TaxType::Vat20.tax_sum(Kopecks::new(10_000)), Some(Kopecks::new(1667)));
        assert_eq!(TaxType::Vat20Included.tax_sum(Kopecks::new(120)), Some(Kopecks::new(20)));
        assert_eq!(TaxType::Vat10.tax_sum(Kopecks::new(110)), Some(Kopecks::new(10)));
        assert_eq!(TaxType::Vat10Included.tax_sum(Kopecks::new(1)), Some(Kopecks::new(0)));
        assert_eq!(TaxType::NoVat.tax_sum(Kopecks::new(10_000)), Some(Kopecks::ZERO));
        assert_eq!(TaxType::Other(11).tax_sum(Kopecks::new(10_000)), None);
        let bundle =
            Cheque { fiscal: FiscalSettings { tax: TaxType::Other(11), ..cheque().fiscal }, ..cheque() }
                .order_bundle(Kopecks::new(100));
        assert_eq!(bundle["cartItems"]["items"][0]["tax"], json!({ "taxType": 11 }));
    }

    #[test]
    fn debug_output_hides_the_email_and_the_account() {
        let text = format!("{:?}", cheque());
        assert!(!text.contains("ivanov") && !text.contains("180211111"), "{text}");
    }
}
