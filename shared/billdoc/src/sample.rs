//! A filled-in demo bill for the example, the tests and the benchmark (and for anyone who wants
//! to see the document before real bills exist). The requisites are illustrative, the same
//! made-up ones as svet-domain's demo payee; the amounts add up.

use crate::sheet::{BalanceLine, BillSheet, Company, MeterRow};

impl BillSheet {
    /// A two-zone (day/night) bill for January 2026 with an opening debt and a part payment.
    pub fn sample() -> Self {
        let nb = |s: &str| s.replace(' ', "\u{a0}");
        let row =
            |zone: &str, previous: &str, current: &str, kwh: &str, tariff: &str, charge: &str| MeterRow {
                zone: zone.to_owned(),
                previous: nb(previous),
                current: nb(current),
                consumption: kwh.to_owned(),
                tariff: nb(tariff),
                charge: nb(charge),
            };
        let line = |label: &str, amount: &str| BalanceLine { label: label.to_owned(), amount: nb(amount) };
        Self {
            company: Company {
                name: "ПАО «Калужская сбытовая компания»".to_owned(),
                address: "248000, г. Калуга, ул. Примерная, д. 1".to_owned(),
                inn: "4029012341".to_owned(),
                kpp: "402901001".to_owned(),
                bank: "р/с 40702810822240101360 в КАЛУЖСКОЕ ОТДЕЛЕНИЕ N8608 ПАО СБЕРБАНК, БИК 042908612, \
                       к/с 30101810100000000612"
                    .to_owned(),
                phone: "(4842) 701-838".to_owned(),
                email: "support@ksk.kaluga.ru".to_owned(),
                website: "svet.kaluga.ru".to_owned(),
            },
            title: "Счёт за электроэнергию за январь 2026 г.".to_owned(),
            account: "180211111".to_owned(),
            payer: "Иванов Иван Иванович".to_owned(),
            address: "248030, Калужская обл., г. Калуга, ул. Ленина, д. 25, кв. 14".to_owned(),
            period: "01.01.2026 – 31.01.2026".to_owned(),
            meter: "двухтарифный, № 12345678, 6 разрядов".to_owned(),
            meter_rows: vec![
                row("День", "12 345", "12 535", "190", "7,36 ₽/кВт·ч", "1 398,40"),
                row("Ночь", "5 210", "5 300", "90", "4,12 ₽/кВт·ч", "370,80"),
            ],
            balance: vec![
                line("Задолженность на начало периода", "512,30"),
                line("Начислено за период", "1 769,20"),
                line("Оплачено в периоде", "500,00"),
            ],
            total_due: nb("1 781,50"),
            due_date: "Оплатить до 10 февраля 2026 г.".to_owned(),
            notice: "Показания принимаются до 25-го числа месяца в личном кабинете svet.kaluga.ru и по \
                     телефону (4842) 701-838. Без показаний начисление производится по среднему \
                     потреблению, после трёх месяцев — по нормативу."
                .to_owned(),
            qr_payload: "ST00012|Name=ПАО «Калужская сбытовая компания»|PersonalAcc=40702810822240101360\
                         |BankName=КАЛУЖСКОЕ ОТДЕЛЕНИЕ N8608 ПАО СБЕРБАНК|BIC=042908612\
                         |CorrespAcc=30101810100000000612|PayeeINN=4029012341|KPP=402901001\
                         |PersAcc=180211111|Sum=178150|Purpose=Оплата электроэнергии за 01.2026\
                         |TechCode=02"
                .to_owned(),
        }
    }
}
