//! The bank's callback notifications (`CallbackKey::verify` over the query's parameters, as the
//! callback handler decodes them with `form_urlencoded`). The input is the callback token, a
//! newline, and a query string.
//!
//! - The query as it came: refused unless its checksum is the token's HMAC of the other
//!   parameters; a verified callback's fields are what the parameters say.
//! - The same parameters signed with `hmac_checksum`: the checksum verifies (in either case of
//!   hex); any one changed character, a changed hex digit of the checksum, a parameter taken
//!   away or one added, and it does not.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use svet_sberbank::callback::{CHECKSUM, SIGN_ALIAS, check_string, hmac_checksum};
use svet_sberbank::{CallbackError, CallbackKey, CallbackOperation, OrderId, Secret};

type Params = Vec<(String, String)>;

fn pairs(params: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

fn verify(key: &CallbackKey, params: &Params) -> Result<svet_sberbank::Callback, CallbackError> {
    let result = key.verify(params);
    if let Ok(callback) = &result {
        let signed: BTreeMap<String, String> =
            params.iter().filter(|(k, _)| k != CHECKSUM).map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(callback.params, signed);
        let get = |name: &str| signed.get(name).map(String::as_str);
        assert_eq!(Some(callback.order_id.as_str()), get("mdOrder"));
        assert!(OrderId::parse(callback.order_id.as_str()).is_ok());
        assert_eq!(Some(callback.order_number.as_str()), get("orderNumber"));
        assert_eq!(get("status"), Some(if callback.success { "1" } else { "0" }));
        let operation = get("operation").expect("an operation");
        match &callback.operation {
            CallbackOperation::Other(other) => assert_eq!(other, operation),
            known => assert!(
                !operation.is_empty() && format!("{known:?}").to_lowercase() == operation.to_lowercase()
            ),
        }
        match get("amount").filter(|a| !a.is_empty()) {
            None => assert_eq!(callback.amount, None),
            Some(text) => assert_eq!(
                callback.amount.map(|a| a.get().to_string()),
                Some(text.parse::<i64>().unwrap().to_string())
            ),
        }
    }
    result
}

fn unique_names(params: &Params) -> bool {
    let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.windows(2).all(|w| w[0] != w[1])
}

/// A character other than `c`.
fn other_char(c: char) -> char {
    if c == 'a' { 'b' } else { 'a' }
}

fuzz_target!(|text: &str| {
    let (token, query) = text.split_once('\n').unwrap_or(("B07BAA3F9C809098ACBB462618A93275", text));
    let Ok(key) = CallbackKey::hmac(Secret::new(token)) else {
        assert!(token.is_empty());
        return;
    };
    let secret = Secret::new(token);
    let params: Params = form_urlencoded::parse(query.as_bytes()).into_owned().collect();

    // As received.
    if verify(&key, &params).is_ok() {
        let checksums: Vec<&str> =
            params.iter().filter(|(k, _)| k == CHECKSUM).map(|(_, v)| v.as_str()).collect();
        assert_eq!(checksums.len(), 1);
        let signed: Params = params.iter().filter(|(k, _)| k != CHECKSUM).cloned().collect();
        let without_alias: Params = signed.iter().filter(|(k, _)| k != SIGN_ALIAS).cloned().collect();
        let given = checksums[0].trim().to_uppercase();
        assert!(
            given == hmac_checksum(&secret, pairs(&signed))
                || given == hmac_checksum(&secret, pairs(&without_alias)),
            "a callback verified without the right checksum"
        );
    }

    // Signed by the bank.
    let unsigned: Params = params.into_iter().filter(|(k, _)| k != CHECKSUM).collect();
    if !unique_names(&unsigned) {
        return;
    }
    let checksum = hmac_checksum(&secret, pairs(&unsigned));
    assert_eq!(checksum.len(), 64);
    assert!(
        check_string(pairs(&unsigned)).len() >= unsigned.iter().map(|(k, v)| k.len() + v.len() + 2).sum()
    );
    let at = text.len() % (unsigned.len() + 1);
    let with = |params: &Params, checksum: &str| {
        let mut params = params.clone();
        params.insert(at.min(params.len()), (CHECKSUM.to_owned(), checksum.to_owned()));
        params
    };
    let genuine = verify(&key, &with(&unsigned, &checksum));
    assert!(
        matches!(genuine, Ok(_) | Err(CallbackError::Missing(_) | CallbackError::Invalid(_))),
        "a genuine callback refused: {genuine:?}"
    );
    assert_eq!(verify(&key, &with(&unsigned, &checksum.to_lowercase())), genuine);

    // One hex digit of the checksum changed.
    let mut forged = checksum.clone().into_bytes();
    let i = text.len() % forged.len();
    forged[i] = if forged[i] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).expect("hex");
    assert_eq!(verify(&key, &with(&unsigned, &forged)), Err(CallbackError::BadChecksum));

    if unsigned.is_empty() {
        return;
    }
    // One character of one value or name changed.
    let p = text.len() % unsigned.len();
    let (name, value) = unsigned[p].clone();
    let mut changed = unsigned.clone();
    match value.chars().nth(text.len() % (value.chars().count() + 1)) {
        Some(c) => {
            let at = value.char_indices().find(|(_, d)| *d == c).map(|(i, _)| i).unwrap_or(0);
            let mut v = value.clone();
            v.replace_range(at..at + c.len_utf8(), &other_char(c).to_string());
            changed[p].1 = v;
        }
        None => changed[p].1.push('x'),
    }
    assert_eq!(verify(&key, &with(&changed, &checksum)), Err(CallbackError::BadChecksum), "{name:?}");

    // A parameter taken away, or one added (the check string is shorter or longer).
    let mut fewer = unsigned.clone();
    fewer.remove(p);
    assert_eq!(verify(&key, &with(&fewer, &checksum)), Err(CallbackError::BadChecksum));
    if !unsigned.iter().any(|(k, _)| k == "extra" || k == SIGN_ALIAS) {
        let mut more = unsigned.clone();
        more.push(("extra".to_owned(), value));
        assert_eq!(verify(&key, &with(&more, &checksum)), Err(CallbackError::BadChecksum));
    }
});
