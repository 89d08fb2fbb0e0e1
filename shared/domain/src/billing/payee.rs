//! The payee's bank requisites and the GOST R 56042-2014 payment payload printed as a QR code
//! on the bill, so any bank's app can pay it.
//!
//! The payload (domain.md §2.6): the header `ST00012` (format `ST`, version `0001`, encoding
//! `2` = UTF-8), then `|Key=Value` pairs. The five mandatory keys come first and in this order:
//! `Name`, `PersonalAcc` (the payee's 20-character bank account), `BankName`, `BIC`,
//! `CorrespAcc`. Svet then adds `PayeeINN`, `KPP`, `PersAcc` (the customer's лицевой счёт,
//! which never goes in `PersonalAcc`), `Sum` (kopecks, digits only), `Purpose`, and
//! `TechCode=02` (housing and utilities). No trailing separator. The separator is `|`, so no
//! value may contain it: the requisites are checked by [`Payee::check`], and the other values
//! are digits or text Svet writes itself.
//!
//! `Sum` is left out when nothing is due: the bank app then asks for the amount instead of
//! offering to pay 0,00 ₽. The payload carries no meter readings (the standard has one
//! `CounterVal`, which cannot carry day and night) and no address (personal data a QR code
//! does not need).

use serde::{Deserialize, Serialize};

use crate::{AccountNumber, Kopecks};

/// Longest values the standard allows, in characters.
pub const MAX_NAME: usize = 160;
pub const MAX_BANK_NAME: usize = 45;
pub const MAX_PURPOSE: usize = 160;
/// The mandatory block (`Name=…|…|CorrespAcc=…`) must fit 300 bytes in the payload's encoding.
pub const MAX_MANDATORY_BYTES: usize = 300;

/// Who the customer pays: the retailer's legal name and bank requisites, from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payee {
    /// Legal name, e.g. «ПАО «Калужская сбытовая компания»» (`Name`).
    pub name: String,
    /// ИНН: 10 digits for a company, 12 for a sole trader (`PayeeINN`).
    pub inn: String,
    /// КПП: 9 characters (`KPP`).
    pub kpp: String,
    /// The bank's name (`BankName`), at most 45 characters.
    pub bank_name: String,
    /// БИК: 9 digits (`BIC`).
    pub bic: String,
    /// The bank's correspondent account: 20 digits (`CorrespAcc`).
    pub correspondent_account: String,
    /// The payee's settlement account (расчётный счёт): 20 characters (`PersonalAcc`).
    pub account: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payee {field}: {problem}")]
pub struct PayeeError {
    pub field: &'static str,
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> PayeeError {
    PayeeError { field, problem: problem.into() }
}

fn digits(field: &'static str, value: &str, counts: &[usize]) -> Result<(), PayeeError> {
    if value.bytes().all(|b| b.is_ascii_digit()) && counts.contains(&value.len()) {
        return Ok(());
    }
    let counts: Vec<String> = counts.iter().map(ToString::to_string).collect();
    Err(bad(field, format!("{value:?} must be {} digits", counts.join(" or "))))
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), PayeeError> {
    let chars = value.chars().count();
    if value.trim().is_empty() {
        return Err(bad(field, "is empty"));
    }
    if chars > max {
        return Err(bad(field, format!("has {chars} characters; at most {max}")));
    }
    if value.contains('|') || value.chars().any(char::is_control) {
        return Err(bad(field, "must not contain '|' or control characters"));
    }
    Ok(())
}

impl Payee {
    /// Checks every requisite against the standard's formats. Run it at start-up.
    pub fn check(&self) -> Result<(), PayeeError> {
        text("name", &self.name, MAX_NAME)?;
        text("bank_name", &self.bank_name, MAX_BANK_NAME)?;
        digits("inn", &self.inn, &[10, 12])?;
        if !inn_checksum_ok(&self.inn) {
            return Err(bad("inn", format!("{:?}: the check digits do not match (a typo?)", self.inn)));
        }
        digits("bic", &self.bic, &[9])?;
        digits("correspondent_account", &self.correspondent_account, &[20])?;
        let region = &self.bic[4..6];
        if !account_key_ok(&format!("0{region}{}", self.correspondent_account)) {
            let problem =
                format!("{:?} does not match BIC {} (a typo?)", self.correspondent_account, self.bic);
            return Err(bad("correspondent_account", problem));
        }
        // QRCoder's rule for PersonalAcc: ^[1-9]\d{4}[0-9ABCEHKMPTX]\d{14}$.
        let a = self.account.as_bytes();
        let account_ok = a.len() == 20
            && (b'1'..=b'9').contains(&a[0])
            && a[1..5].iter().all(u8::is_ascii_digit)
            && (a[5].is_ascii_digit() || b"ABCEHKMPTX".contains(&a[5]))
            && a[6..].iter().all(u8::is_ascii_digit);
        if !account_ok {
            return Err(bad(
                "account",
                format!("{:?} is not a 20-character settlement account", self.account),
            ));
        }
        // The control key is computed over the BIC's last three digits and the account; an
        // account at a Bank of Russia division (BIC ending 000–002) uses 0 and the region.
        let prefix = match &self.bic[6..] {
            "000" | "001" | "002" => format!("0{region}"),
            branch => branch.to_owned(),
        };
        if a[5].is_ascii_digit() && !account_key_ok(&format!("{prefix}{}", self.account)) {
            let problem = format!("{:?} does not match BIC {} (a typo?)", self.account, self.bic);
            return Err(bad("account", problem));
        }
        // КПП: 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits.
        let k = self.kpp.as_bytes();
        let kpp_ok = k.len() == 9
            && k[..4].iter().all(u8::is_ascii_digit)
            && k[4..6].iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            && k[6..].iter().all(u8::is_ascii_digit);
        if !kpp_ok {
            return Err(bad("kpp", format!("{:?} must be 9 characters: NNNNPPNNN", self.kpp)));
        }
        let mandatory = self.mandatory_block();
        if mandatory.len() > MAX_MANDATORY_BYTES {
            let problem = format!(
                "name, bank name and accounts take {} bytes in the QR code; at most {MAX_MANDATORY_BYTES}",
                mandatory.len()
            );
            return Err(bad("name", problem));
        }
        Ok(())
    }

    fn mandatory_block(&self) -> String {
        format!(
            "Name={}|PersonalAcc={}|BankName={}|BIC={}|CorrespAcc={}",
            self.name, self.account, self.bank_name, self.bic, self.correspondent_account
        )
    }
}

/// The Bank of Russia account control key: over 23 digits (a 3-digit prefix and the 20-digit
/// account), the sum of each digit times 7, 1, 3, 7, 1, 3… ends in 0.
fn account_key_ok(digits23: &str) -> bool {
    let sum: u32 = digits23.bytes().zip([7, 1, 3].iter().cycle()).map(|(d, w)| u32::from(d - b'0') * w).sum();
    digits23.len() == 23 && sum.is_multiple_of(10)
}

/// The tax number's check digits: one for a 10-digit ИНН, two for a 12-digit one.
fn inn_checksum_ok(inn: &str) -> bool {
    let d: Vec<u32> = inn.bytes().map(|b| u32::from(b - b'0')).collect();
    let check = |weights: &[u32]| {
        let sum: u32 = d.iter().zip(weights).map(|(d, w)| d * w).sum();
        sum % 11 % 10
    };
    match d.len() {
        10 => check(&[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9],
        12 => {
            check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        }
        _ => false,
    }
}

/// The GOST R 56042-2014 payload for paying `sum` to `payee` on `account` (see the module
/// docs for the layout). Refuses a payee that fails [`Payee::check`] and a purpose with `|`,
/// a control character or more than [`MAX_PURPOSE`] characters.
pub fn qr_payload(
    payee: &Payee,
    account: &AccountNumber,
    sum: Kopecks,
    purpose: &str,
) -> Result<String, PayeeError> {
    payee.check()?;
    text("purpose", purpose, MAX_PURPOSE)?;
    let mut out = format!("ST00012|{}|PayeeINN={}|KPP={}", payee.mandatory_block(), payee.inn, payee.kpp);
    out.push_str(&format!("|PersAcc={account}"));
    if sum > Kopecks::ZERO {
        out.push_str(&format!("|Sum={}", sum.get()));
    }
    out.push_str(&format!("|Purpose={purpose}|TechCode=02"));
    Ok(out)
}

#[cfg(test)]
/// Illustrative requisites: the account and ИНН are made up (with valid check digits).
pub(super) fn demo_payee() -> Payee {
    Payee {
        name: "ПАО «Калужская сбытовая компания»".into(),
        inn: "4029012341".into(),
        kpp: "402901001".into(),
        bank_name: "КАЛУЖСКОЕ ОТДЕЛЕНИЕ N8608 ПАО СБЕРБАНК".into(),
        bic: "042908612".into(),
        correspondent_account: "30101810100000000612".into(),
        account: "40702810822240101360".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_payload_in_the_standard_order() {
        let account = AccountNumber::parse("180211111").unwrap();
        let payload =
            qr_payload(&demo_payee(), &account, Kopecks::new(123_456), "Оплата электроэнергии за 01.2026")
                .unwrap();
        assert_eq!(
            payload,
            "ST00012|Name=ПАО «Калужская сбытовая компания»|PersonalAcc=40702810822240101360\
             |BankName=КАЛУЖСКОЕ ОТДЕЛЕНИЕ N8608 ПАО СБЕРБАНК|BIC=042908612\
             |CorrespAcc=30101810100000000612|PayeeINN=4029012341|KPP=402901001|PersAcc=180211111\
             |Sum=123456|Purpose=Оплата электроэнергии за 01.2026|TechCode=02"
        );
    }

    #[test]
    fn leaves_the_sum_out_when_nothing_is_due() {
        let account = AccountNumber::parse("180211111").unwrap();
        let payload = qr_payload(&demo_payee(), &account, Kopecks::ZERO, "Оплата").unwrap();
        assert!(!payload.contains("Sum="), "{payload}");
        assert!(payload.ends_with("|PersAcc=180211111|Purpose=Оплата|TechCode=02"), "{payload}");
    }

    #[test]
    fn refuses_requisites_that_break_the_format() {
        type Spoil = fn(&mut Payee);
        let cases: [(Spoil, &str); 13] = [
            (|p| p.name = "ООО | Свет".into(), "name"),
            (|p| p.name = " ".into(), "name"),
            (|p| p.name = "Я".repeat(161), "name"),
            (|p| p.bank_name = "Б".repeat(46), "bank_name"),
            (|p| p.inn = "40290302".into(), "inn"),
            (|p| p.bic = "04290861X".into(), "bic"),
            (|p| p.correspondent_account = "3010181010000000061".into(), "correspondent_account"),
            (|p| p.account = "00702810822240101360".into(), "account"),
            (|p| p.account = "40702810822240101361".into(), "account"),
            (|p| p.inn = "4029012342".into(), "inn"),
            (|p| p.correspondent_account = "30101810100000000613".into(), "correspondent_account"),
            (|p| p.kpp = "4029010011".into(), "kpp"),
            (|p| p.name = "Ж".repeat(150), "name"),
        ];
        for (spoil, field) in cases {
            let mut payee = demo_payee();
            spoil(&mut payee);
            assert_eq!(payee.check().map_err(|e| e.field), Err(field), "{payee:?}");
        }
        let mut sole_trader = demo_payee();
        sole_trader.inn = "402901234552".into();
        sole_trader.kpp = "4029AB001".into();
        assert_eq!(sole_trader.check(), Ok(()));
        let account = AccountNumber::parse("180211111").unwrap();
        let purpose = qr_payload(&demo_payee(), &account, Kopecks::new(1), "за 01.2026 | л/с");
        assert_eq!(purpose.map_err(|e| e.field), Err("purpose"));
    }
}
