//! The bank's test cards (ecomtest spec v1.0.7, listed in shared/sberbank-gateway.md §6) and
//! what each does. Any other card number that passes the Luhn check pays without 3-D Secure
//! unless its expiry date has passed.

/// What happens when a card is submitted on the payment page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Authorised at once (frictionless 3-DS2, or a card outside 3-DS).
    Approve,
    /// The issuer asks for the 3-D Secure code [`ACS_CODE`]; then `after` applies.
    Challenge { after: AfterChallenge },
    /// Declined with this actionCode, before any 3-D Secure step.
    Decline(i32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterChallenge {
    Approve,
    /// Approved only up to this balance (kopecks); above it, declined with 116.
    ApproveUpTo(i64),
    Decline(i32),
}

/// The one-time code every test card's 3-D Secure step accepts.
pub const ACS_CODE: &str = "111111";

pub struct TestCard {
    pub pan: &'static str,
    /// As printed: `MM/YY`.
    pub expiry: &'static str,
    pub cvc: &'static str,
    pub outcome: Outcome,
    pub note: &'static str,
}

pub const TEST_CARDS: &[TestCard] = &[
    TestCard {
        pan: "2202205000012424",
        expiry: "05/28",
        cvc: "649",
        outcome: Outcome::Approve,
        note: "МИР, 3-DS2 без подтверждения, успех",
    },
    TestCard {
        pan: "2202205300068092",
        expiry: "05/26",
        cvc: "583",
        outcome: Outcome::Challenge { after: AfterChallenge::ApproveUpTo(10_000) },
        note: "МИР, 3-DS2 с кодом, баланс 100 ₽ (больше — отказ 116)",
    },
    TestCard {
        pan: "4006800900962514",
        expiry: "05/26",
        cvc: "941",
        outcome: Outcome::Challenge { after: AfterChallenge::Approve },
        note: "VISA, 3-DS с кодом, успех",
    },
    TestCard {
        pan: "5469980100048525",
        expiry: "05/26",
        cvc: "041",
        outcome: Outcome::Challenge { after: AfterChallenge::Approve },
        note: "MasterCard, 3-DS с кодом, успех",
    },
    TestCard {
        pan: "2202206100040083",
        expiry: "05/26",
        cvc: "061",
        outcome: Outcome::Approve,
        note: "МИР без 3-DS, успех",
    },
    TestCard {
        pan: "2202206000270541",
        expiry: "05/28",
        cvc: "123",
        outcome: Outcome::Challenge { after: AfterChallenge::Approve },
        note: "МИР, корпоративная, 3-DS с кодом, успех",
    },
    TestCard {
        pan: "2202205000060910",
        expiry: "06/28",
        cvc: "810",
        outcome: Outcome::Challenge { after: AfterChallenge::Decline(116) },
        note: "отказ 116: недостаточно средств",
    },
    TestCard {
        pan: "2202202107593166",
        expiry: "06/22",
        cvc: "123",
        outcome: Outcome::Decline(101),
        note: "отказ 101: истёк срок действия карты",
    },
];

/// A card as typed on the page, already checked for shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub pan: String,
    pub month: u8,
    /// Two digits, as on the card.
    pub year: u8,
    pub cvc: String,
}

impl Card {
    /// Checks the three fields of the page; the error is the Russian message shown beside them.
    pub fn parse(pan: &str, expiry: &str, cvc: &str) -> Result<Card, &'static str> {
        let pan: String = pan.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if !(13..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) || !luhn(&pan) {
            return Err("Проверьте номер карты.");
        }
        let digits: String = expiry.chars().filter(char::is_ascii_digit).collect();
        let (month, year) = match digits.len() {
            4 => (&digits[..2], &digits[2..]),
            6 => (&digits[..2], &digits[4..]),
            _ => return Err("Укажите срок действия как на карте: ММ/ГГ."),
        };
        let (Ok(month), Ok(year)) = (month.parse::<u8>(), year.parse::<u8>()) else {
            return Err("Укажите срок действия как на карте: ММ/ГГ.");
        };
        if !(1..=12).contains(&month) {
            return Err("Укажите срок действия как на карте: ММ/ГГ.");
        }
        let cvc = cvc.trim();
        if cvc.len() != 3 || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err("CVC — три цифры на обороте карты.");
        }
        Ok(Card { pan, month, year, cvc: cvc.to_owned() })
    }

    /// What the issuer does with this card; `today` is (year, month) for the expiry check of
    /// cards outside the test table.
    pub fn outcome(&self, today: (i16, i8)) -> Outcome {
        if let Some(card) = TEST_CARDS.iter().find(|c| c.pan == self.pan) {
            if card.expiry != format!("{:02}/{:02}", self.month, self.year) {
                return Outcome::Decline(101);
            }
            if card.cvc != self.cvc {
                return Outcome::Decline(82);
            }
            return card.outcome;
        }
        let expires = (2000 + i16::from(self.year), self.month as i8);
        if expires < today { Outcome::Decline(101) } else { Outcome::Approve }
    }

    /// `220220**2424`: the first six and the last four digits, as the bank masks them.
    pub fn masked(&self) -> String {
        format!("{}**{}", &self.pan[..6], &self.pan[self.pan.len() - 4..])
    }

    /// `YYYYMM`, as getOrderStatusExtended reports it.
    pub fn expiration(&self) -> String {
        format!("20{:02}{:02}", self.year, self.month)
    }

    pub fn payment_system(&self) -> &'static str {
        match self.pan.as_bytes()[0] {
            b'2' => "MIR",
            b'4' => "VISA",
            b'5' => "MASTERCARD",
            _ => "UNKNOWN",
        }
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 { if d > 4 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Russian description of an actionCode, as the page and the status report show it.
pub fn action_description(code: i32) -> &'static str {
    match code {
        0 => "",
        -100 => "Не было попыток оплаты",
        -2007 => "Истек срок ожидания ввода данных",
        -2013 => "Исчерпаны попытки оплаты",
        -2006 => "Неверный ответ от эмитента при проверке 3-D Secure",
        82 => "Неверный CVC",
        101 => "Истек срок действия карты",
        116 => "Недостаточно средств на карте",
        _ => "Операция отклонена",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_passes_its_own_checks() {
        for card in TEST_CARDS {
            let parsed = Card::parse(card.pan, card.expiry, card.cvc).expect(card.pan);
            assert_eq!(parsed.outcome((2030, 1)), card.outcome, "{}", card.pan);
        }
    }

    #[test]
    fn a_test_card_with_another_expiry_or_cvc_is_declined() {
        let card = Card::parse("2202 2050 0001 2424", "06/28", "649").unwrap();
        assert_eq!(card.outcome((2026, 1)), Outcome::Decline(101));
        let card = Card::parse("2202205000012424", "05/28", "000").unwrap();
        assert_eq!(card.outcome((2026, 1)), Outcome::Decline(82));
    }

    #[test]
    fn other_cards_pay_until_they_expire() {
        let card = Card::parse("4111 1111 1111 1111", "12/2027", "123").unwrap();
        assert_eq!(card.outcome((2027, 12)), Outcome::Approve);
        assert_eq!(card.outcome((2028, 1)), Outcome::Decline(101));
        assert_eq!(card.masked(), "411111**1111");
        assert_eq!(card.expiration(), "202712");
        assert_eq!(card.payment_system(), "VISA");
    }

    #[test]
    fn malformed_fields_are_refused() {
        assert!(Card::parse("4111 1111 1111 1112", "12/27", "123").is_err());
        assert!(Card::parse("4111", "12/27", "123").is_err());
        assert!(Card::parse("4111111111111111", "13/27", "123").is_err());
        assert!(Card::parse("4111111111111111", "12/27", "12").is_err());
    }
}
