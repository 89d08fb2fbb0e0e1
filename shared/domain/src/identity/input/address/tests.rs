use super::*;
use AddressPart::*;
use proptest::prelude::*;

const REGISTRY: &str = "г. Калуга, ул. Ленина, д. 12, кв. 5";

#[test]
fn normalises_case_letters_punctuation_and_abbreviations() {
    let cases = [
        ("г. Калуга, ул. Ленина, д. 12, кв. 5", "город калуга улица ленина дом 12 квартира 5"),
        ("Калуга, улица Ленина 12 кв 5", "калуга улица ленина 12 квартира 5"),
        ("калуга ленина д12 кв5", "калуга ленина дом 12 квартира 5"),
        ("Ленина, 12-5", "ленина 12-5"),
        ("ул. Щёрса, д. 12 а", "улица щерса дом 12а"),
        ("ул.Щорса,д.12-А", "улица щорса дом 12а"),
        ("пр-т Ленина, 12/3", "проспект ленина 12/3"),
        ("д. Мстихино, д. 5", "деревня мстихино дом 5"),
        ("ул. Кирова, д. 7, к. 2", "улица кирова дом 7 корпус 2"),
        ("ул. Кирова, 7к2", "улица кирова 7 корпус 2"),
        ("ул. Кирова, 7 стр 1", "улица кирова 7 строение 1"),
        ("ул. Кирова, 7 с1", "улица кирова 7 строение 1"),
        (
            "Калужская обл., Дзержинский р-н, п. Полотняный Завод",
            "калужская область дзержинский район поселок полотняный завод",
        ),
        ("«ул.  Ленина»;\u{a0}д.\u{200b}№12", "улица ленина дом 12"),
        ("2-я Красноармейская ул., 12 г", "2-я красноармейская улица 12г"),
    ];
    for (text, normal) in cases {
        assert_eq!(normalize_address(text), normal, "{text:?}");
    }
}

#[test]
fn the_same_address_written_differently_is_the_same() {
    let cases = [
        (REGISTRY, "г. Калуга, ул. Ленина, д. 12, кв. 5"),
        (REGISTRY, "Калуга, улица Ленина 12 кв 5"),
        (REGISTRY, "калуга ленина д12 кв5"),
        (REGISTRY, "Ленина, 12-5"),
        (REGISTRY, "Ленина 12 5"),
        (REGISTRY, "ул Ленина д 12 кв 5"),
        (REGISTRY, "Калужская область, город Калуга, улица Ленина, дом 12, квартира 5"),
        (REGISTRY, "248000, Калуга, Ленина, 12, 5"),
        (REGISTRY, "Калуга Ленина ул 12-5"),
        (REGISTRY, "ЛЕНИНА 12 КВ. 5 КАЛУГА"),
        (REGISTRY, "Ленина 12 5 Калуга"),
        (REGISTRY, "ул. Ленина д.12 кв.5 г.Калуга"),
        ("Калуга г, Ленина ул, д. 12, кв. 5", "Калуга, ул. Ленина, д. 12, кв. 5"),
        ("г. Калуга, ул. Маршала Жукова, д. 41а, кв. 110", "калуга маршала жукова 41-а кв 110"),
        ("г. Калуга, ул. Маршала Жукова, д. 41а, кв. 110", "Маршала Жукова 41 а - 110"),
        ("г. Калуга, ул. Салтыкова-Щедрина, д. 12/3", "Салтыкова-Щедрина 12/3"),
        ("г. Калуга, ул. 50 лет Октября, д. 4", "Калуга, 50 лет Октября, 4"),
        ("г. Калуга, пер. Старообрядческий, д. 7, корп. 2", "Калуга, Старообрядческий пер., 7к2"),
        ("г. Калуга, ул. им. Ф. Энгельса, д. 3", "Калуга, улица Ф. Энгельса, 3"),
        ("Калужская обл., Дзержинский р-н, д. Жерелево, ул. Садовая, д. 5", "деревня Жерелево Садовая 5"),
        ("Калужская обл., Ферзиковский р-н, д. Мстихино, д. 5", "д. Мстихино, д. 5"),
        ("Калужская обл., г. Обнинск, пр-т Ленина, д. 100, кв. 12", "Обнинск, проспект Ленина 100-12"),
    ];
    for (registry, typed) in cases {
        assert_eq!(compare_addresses(registry, typed), AddressMatch::Same, "{registry:?} vs {typed:?}");
    }
}

#[test]
fn each_kind_of_difference_is_named() {
    let cases = [
        ("г. Калуга, ул. Ленина, д. 12, кв. 6", vec![Flat]),
        // Something else differs, so leaving out the town is not excused.
        ("Ленина 12-6", vec![Locality, Flat]),
        ("г. Калуга, ул. Ленина, д. 14, кв. 5", vec![House]),
        ("г. Калуга, ул. Ленина, д. 12а, кв. 5", vec![House]),
        ("Калуга, Ленина 12 а, кв. 5", vec![House]),
        ("г. Калуга, ул. Гагарина, д. 12, кв. 5", vec![Street]),
        ("калуга гагарина 12 5", vec![Street]),
        ("г. Калуга, пер. Ленина, д. 12, кв. 5", vec![Street]),
        ("г. Обнинск, ул. Ленина, д. 12, кв. 5", vec![Locality]),
        ("Обнинск Ленина 12-5", vec![Locality]),
        ("пос. Калуга, ул. Ленина, д. 12, кв. 5", vec![Locality]),
        ("г. Калуга, ул. Ленина, д. 12", vec![Flat]),
        ("г. Калуга, ул. Ленина, д. 12, корп. 2, кв. 5", vec![Building]),
        ("Гагарина 14", vec![Locality, Street, House, Flat]),
        ("Тульская обл., г. Калуга, ул. Ленина, д. 12, кв. 5", vec![]),
    ];
    for (typed, parts) in cases {
        let expected = if parts.is_empty() { AddressMatch::Same } else { AddressMatch::Differs(parts) };
        assert_eq!(compare_addresses(REGISTRY, typed), expected, "{typed:?}");
    }
}

#[test]
fn a_region_that_disagrees_is_a_difference() {
    let registry = "Калужская обл., г. Калуга, ул. Ленина, д. 12, кв. 5";
    assert_eq!(
        compare_addresses(registry, "Тульская обл., г. Калуга, ул. Ленина, д. 12, кв. 5"),
        AddressMatch::Differs(vec![Other])
    );
    assert_eq!(compare_addresses(registry, "Калуга, Ленина 12-5"), AddressMatch::Same);
}

#[test]
fn a_flat_or_building_on_one_side_only_differs() {
    let house = "Калужская обл., Ферзиковский р-н, д. Мстихино, ул. Центральная, д. 5";
    assert_eq!(compare_addresses(house, "Мстихино, Центральная 5"), AddressMatch::Same);
    assert_eq!(compare_addresses(house, "Мстихино, Центральная 5-1"), AddressMatch::Differs(vec![Flat]));
    assert_eq!(
        compare_addresses(house, "Мстихино, Центральная 5 корп 1"),
        AddressMatch::Differs(vec![Building])
    );
}

#[test]
fn labels_and_messages() {
    let labels: Vec<&str> = [Locality, Street, House, Building, Flat].iter().map(|p| p.label_ru()).collect();
    assert_eq!(labels, ["населённый пункт", "улица", "номер дома", "корпус или строение", "номер квартиры"]);
    assert_eq!(AddressMatch::Same.message_ru(), None);
    let differs = AddressMatch::Differs(vec![Flat]);
    assert!(differs.message_ru().unwrap().starts_with("Адрес не совпадает"));
    assert_eq!(differs.to_string(), "address differs in: flat");
}

/// Pieces addresses are made of, typos and oddities included.
const PIECES: &[&str] = &[
    "г",
    "г.",
    "город",
    "Калуга",
    "ул",
    "ул.",
    "улица",
    "Ленина",
    "д",
    "д.",
    "дом",
    "12",
    "12а",
    "12-5",
    "12/3",
    "а",
    "к",
    "с",
    "п",
    "кв",
    "кв.",
    "5",
    "-",
    "/",
    ",",
    ";",
    "д12",
    "кв5",
    "12к2",
    "12-а",
    "2-я",
    "р-н",
    "обл",
    "Ёлкина",
    "ё",
    "№",
    "«",
    "»",
    "\u{a0}",
    "\u{200b}",
    "248000",
    "К",
    "стр",
    "1",
    "им.",
    "Россия",
    "д.д5",
];

fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(PIECES), 0..14).prop_map(|pieces| pieces.join(" ")),
        prop::collection::vec(prop::sample::select(PIECES), 0..14).prop_map(|pieces| pieces.concat()),
        "\\PC{0,40}",
    ]
}

proptest! {
    #[test]
    fn normalising_twice_changes_nothing(text in address()) {
        let once = normalize_address(&text);
        prop_assert_eq!(normalize_address(&once), once.clone(), "{:?}", text);
    }

    #[test]
    fn an_address_is_the_same_as_itself(text in address()) {
        prop_assert_eq!(compare_addresses(&text, &text), AddressMatch::Same);
        let normal = normalize_address(&text);
        prop_assert_eq!(compare_addresses(&text, &normal), AddressMatch::Same);
    }

    #[test]
    fn any_way_of_writing_a_registry_address_matches_it(
        town in prop::sample::select(vec!["Калуга", "Обнинск", "Людиново", "Полотняный Завод"]),
        street in prop::sample::select(vec!["Ленина", "Маршала Жукова", "Салтыкова-Щедрина", "Кирова"]),
        house in 1u32..200,
        letter in prop::sample::select(vec!["", "а", "б"]),
        flat in prop::option::of(1u32..300),
        style in 0usize..6,
    ) {
        let flat_part = flat.map(|f| format!(", кв. {f}")).unwrap_or_default();
        let registry = format!("Калужская обл., г. {town}, ул. {street}, д. {house}{letter}{flat_part}");
        let typed = match style {
            0 => format!("{town}, улица {street} {house}{letter}{}", flat.map(|f| format!(" кв {f}")).unwrap_or_default()),
            1 => format!("{} {} д{house}{letter}{}", town.to_lowercase(), street.to_lowercase(), flat.map(|f| format!(" кв{f}")).unwrap_or_default()),
            2 => format!("{street}, {house}{letter}{}", flat.map(|f| format!("-{f}")).unwrap_or_default()),
            3 => format!("г {town} ул {street} д {house} {letter}{}", flat.map(|f| format!(" кв {f}")).unwrap_or_default()),
            4 => format!("{}, {town}, {street} ул., дом №{house}{letter}{}", "248000", flat.map(|f| format!(", квартира {f}")).unwrap_or_default()),
            _ => format!("{} {house}{letter}{}", street.to_uppercase(), flat.map(|f| format!(" {f}")).unwrap_or_default()),
        };
        prop_assert_eq!(compare_addresses(&registry, &typed), AddressMatch::Same, "{} / {}", registry, typed);
    }
}
