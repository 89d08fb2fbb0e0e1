//! Registration, activation, login, logout, recovery and settings through the handlers, on the
//! embedded store and on DynamoDB/SES (moto): the flows of R1–R8 and S1–S4, and their failures.

use http::Method;
use serde_json::{Value, json};
use svet_domain::AccountNumber;
use svet_domain::identity::login::FREE_FAILURES;
use svet_domain::identity::profile::{Status, load};

use crate::portal::{Portal, Reply, on_both_portals};

on_both_portals!(
    register_activate_login_and_logout,
    registration_refuses_each_mistake_and_stores_nothing,
    the_address_must_match_and_unknown_accounts_answer_alike,
    an_account_registers_once,
    activation_links_work_once_and_expire,
    login_failures_back_off_and_unknown_accounts_look_the_same,
    simultaneous_login_attempts_cannot_outrun_the_back_off,
    recovery_sets_a_new_password_and_ends_every_session,
    settings_change_delivery_password_and_email,
    the_session_cookie_is_strict_and_no_customer_answer_is_cached,
);

fn form(p: &Portal, account: &str, address: &str) -> Value {
    json!({
        "account": account,
        "password": "Светлячок-2026",
        "password_confirm": "Светлячок-2026",
        "email": p.email("ivanov"),
        "address": address,
        "consent": true,
    })
}

/// Registers 180211111 and activates it; returns the session cookie.
async fn registered(p: &Portal) -> String {
    let r = p.post("/api/register", form(p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5")).await;
    assert_eq!(r.status, 201, "{}: {:?}", p.backend, r.body);
    let token = p.last_token(&p.email("ivanov"), "activate.html").await;
    let r = p.post("/api/activate", json!({ "token": token })).await;
    assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    r.cookie.expect("activation logs in")
}

fn account() -> AccountNumber {
    AccountNumber::parse("180211111").unwrap()
}

async fn me(p: &Portal, cookie: &str) -> Reply {
    p.call(Method::GET, "/api/me", None, Some(cookie)).await
}

async fn register_activate_login_and_logout(p: &Portal) {
    // The guide's bracket mistake is taken as meant; the address is typed the way people do.
    let r = p.post("/api/register", form(p, " (180)211111\u{a0}", "Калуга, улица Ленина 12 кв 5")).await;
    assert_eq!(r.status, 201, "{}: {:?}", p.backend, r.body);
    assert_eq!(r.body["account"], "180211111");
    assert_eq!(r.body["mail_sent"], true);
    let stored = load(p.app.store.as_ref(), &account()).await.unwrap().unwrap().profile;
    assert_eq!(stored.status, Status::Pending);
    assert_eq!(stored.consent.ip, "192.0.2.7", "152-FZ: the consent records where it came from");
    assert_eq!(stored.consent.version, "2025-09-01");
    assert!(stored.password.starts_with("$argon2id$"), "only the hash is stored");

    let (subject, text) = p.mails_to(&p.email("ivanov")).await.pop().expect("the activation mail");
    assert!(
        subject.contains("*****1111") && !subject.contains("180211111"),
        "no full account in the subject: {subject}"
    );
    assert!(
        text.contains("Калужская сбытовая компания") && text.contains("(4842) 701-838"),
        "footer: {text}"
    );

    let login = json!({ "account": "180211111", "password": "Светлячок-2026" });
    let r = p.post("/api/login", login.clone()).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (403, Some("not_activated")),
        "{}: not before activation",
        p.backend
    );

    let token = p.last_token(&p.email("ivanov"), "activate.html").await;
    let r = p.post("/api/activate", json!({ "token": token })).await;
    assert_eq!(r.status, 200);
    let first = r.cookie.expect("a session cookie");
    assert_eq!(me(p, &first).await.body["address"], "г. Калуга, ул. Ленина, д. 12, кв. 5");

    let r = p.post("/api/login", login).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let second = r.cookie.unwrap();
    let r = p.call(Method::POST, "/api/logout", None, Some(&second)).await;
    assert_eq!((r.status, r.cookie.as_deref()), (200, Some("")), "«Выход» clears the cookie");
    assert_eq!(me(p, &second).await.status, 401, "{}: the old cookie is refused after «Выход»", p.backend);
    assert_eq!(me(p, &first).await.status, 200, "other sessions go on");
}

async fn registration_refuses_each_mistake_and_stores_nothing(p: &Portal) {
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"account": "18О211111"}), "account", "О"),
        (json!({"account": "180211abc"}), "account", "букв"),
        (json!({"password_confirm": "Светлячок-2027"}), "password_confirm", "не совпадают"),
        (json!({"password": "12345678", "password_confirm": "12345678"}), "password", ""),
        (json!({"password": "180211111", "password_confirm": "180211111"}), "password", ""),
        (json!({"password": "корот", "password_confirm": "корот"}), "password", "8"),
        (json!({"email": "sidor_ivanov@"}), "email", ""),
        (json!({"address": "  "}), "address", "адрес"),
        (json!({"consent": false}), "consent", "согласия"),
    ];
    for (change, field, words) in cases {
        let mut body = form(p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = p.post("/api/register", body).await;
        let message = r.body["fields"][field].as_str().unwrap_or_default();
        assert_eq!(r.status, 400, "{}: {change}: {:?}", p.backend, r.body);
        assert!(message.contains(words), "{change}: field {field}: {message:?}");
    }
    assert!(load(p.app.store.as_ref(), &account()).await.unwrap().is_none(), "nothing stored");
    assert!(p.mails_to(&p.email("ivanov")).await.is_empty(), "nothing mailed");
}

async fn the_address_must_match_and_unknown_accounts_answer_alike(p: &Portal) {
    let r = p.post("/api/register", form(p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 6")).await;
    assert_eq!((r.status, r.body["error"].as_str()), (422, Some("address_mismatch")), "{:?}", r.body);
    assert!(r.body["fields"]["address"].as_str().unwrap().contains("квартиры"), "{:?}", r.body);

    let unknown = p.post("/api/register", form(p, "180299999", "г. Калуга, ул. Ленина, д. 12, кв. 6")).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.body["error"], "address_mismatch", "an unknown account answers like a mismatch");
    assert!(load(p.app.store.as_ref(), &account()).await.unwrap().is_none());
}

async fn an_account_registers_once(p: &Portal) {
    registered(p).await;
    let again = p.post("/api/register", form(p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5")).await;
    assert_eq!((again.status, again.body["error"].as_str()), (409, Some("already_registered")));
    let profile = load(p.app.store.as_ref(), &account()).await.unwrap().unwrap().profile;
    assert_eq!(profile.status, Status::Active, "the first registration stands");
}

async fn activation_links_work_once_and_expire(p: &Portal) {
    p.post("/api/register", form(p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5")).await;
    let token = p.last_token(&p.email("ivanov"), "activate.html").await;
    let forged = p.post("/api/activate", json!({ "token": "x".repeat(43) })).await;
    assert_eq!(forged.status, 410);

    // A new link on request; the old one still works until used (both were mailed).
    let r = p
        .post(
            "/api/activation/resend",
            json!({ "account": "180211111", "email": p.email("ivanov").to_uppercase() }),
        )
        .await;
    assert_eq!(r.status, 202);
    let fresh = p.last_token(&p.email("ivanov"), "activate.html").await;
    assert_ne!(fresh, token);
    let nobody = p
        .post("/api/activation/resend", json!({ "account": "180299999", "email": &p.email("ivanov") }))
        .await;
    assert_eq!((nobody.status, &nobody.body), (202, &r.body), "the same answer for an unknown account");

    p.advance(24 * 3600);
    assert_eq!(p.post("/api/activate", json!({ "token": token })).await.status, 410, "expired after 24 h");
    p.post("/api/activation/resend", json!({ "account": "180211111", "email": &p.email("ivanov") })).await;
    let last = p.last_token(&p.email("ivanov"), "activate.html").await;
    assert_eq!(p.post("/api/activate", json!({ "token": last })).await.status, 200);
    assert_eq!(p.post("/api/activate", json!({ "token": last })).await.status, 410, "single use");
}

async fn login_failures_back_off_and_unknown_accounts_look_the_same(p: &Portal) {
    registered(p).await;
    let wrong = json!({ "account": "180211111", "password": "не тот пароль" });
    for attempt in 1..=5 {
        let r = p.post("/api/login", wrong.clone()).await;
        assert_eq!((r.status, r.body["error"].as_str()), (401, Some("login_failed")), "attempt {attempt}");
    }
    let r = p.post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" })).await;
    assert_eq!(r.status, 429, "{}: the sixth try waits, even with the right password", p.backend);
    assert_eq!(r.body["retry_after"], 30);
    assert!(r.body["message"].as_str().unwrap().contains("30 с"), "{:?}", r.body);
    p.advance(30);
    assert_eq!(p.post("/api/login", wrong.clone()).await.status, 401);
    assert_eq!(p.post("/api/login", wrong.clone()).await.body["retry_after"], 60, "the wait doubles");
    p.advance(60);
    let r = p.post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" })).await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    let unknown = json!({ "account": "180299999", "password": "не тот пароль" });
    let r = p.post("/api/login", unknown.clone()).await;
    assert_eq!(
        (r.status, &r.body),
        (401, &p.post("/api/login", wrong).await.body),
        "same answer as a wrong password"
    );
    for _ in 0..4 {
        p.post("/api/login", unknown.clone()).await;
    }
    assert_eq!(p.post("/api/login", unknown).await.status, 429, "unknown accounts back off too");
}

/// ASVS 2.2.1: wrong passwords sent all at once (from many addresses, say) are counted one by
/// one, so no more of them are checked than the free failures before the wait.
async fn simultaneous_login_attempts_cannot_outrun_the_back_off(p: &Portal) {
    registered(p).await;
    let wrong = json!({ "account": "180211111", "password": "не тот пароль" });
    let replies = futures::future::join_all((0..12).map(|_| p.post("/api/login", wrong.clone()))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    assert!(statuses.iter().all(|&s| s == 401 || s == 429), "{}: {statuses:?}", p.backend);
    assert!(
        (1..=FREE_FAILURES as usize).contains(&checked),
        "{}: {checked} of 12 simultaneous wrong passwords were checked: {statuses:?}",
        p.backend
    );
    let right = json!({ "account": "180211111", "password": "Светлячок-2026" });
    let r = p.post("/api/login", right.clone()).await;
    if checked == FREE_FAILURES as usize {
        assert_eq!(r.status, 429, "{}: the back-off holds after them: {:?}", p.backend, r.body);
        p.advance(r.body["retry_after"].as_i64().unwrap());
        let r = p.post("/api/login", right.clone()).await;
        assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    } else {
        assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    }
    assert!(
        p.post("/api/login", wrong).await.status == 401 && p.post("/api/login", right).await.status == 200,
        "{}: a login ends the count",
        p.backend
    );
}

async fn recovery_sets_a_new_password_and_ends_every_session(p: &Portal) {
    let cookie = registered(p).await;
    let wrong =
        p.post("/api/password/forgot", json!({ "account": "180211111", "email": &p.email("petrov") })).await;
    let right =
        p.post("/api/password/forgot", json!({ "account": "180211111", "email": &p.email("ivanov") })).await;
    assert_eq!((wrong.status, &wrong.body), (right.status, &right.body), "the same answer either way");
    assert!(p.mails_to(&p.email("petrov")).await.is_empty());
    let token = p.last_token(&p.email("ivanov"), "reset.html").await;

    let weak = p
        .post(
            "/api/password/reset",
            json!({ "token": token, "password": "qwerty123", "password_confirm": "qwerty123" }),
        )
        .await;
    assert_eq!(weak.status, 400, "the same password rules: {:?}", weak.body);
    let new = json!({ "token": token, "password": "Новый-пароль-77", "password_confirm": "Новый-пароль-77" });
    assert_eq!(p.post("/api/password/reset", new.clone()).await.status, 200);
    assert_eq!(p.post("/api/password/reset", new).await.status, 410, "the link works once");
    assert_eq!(me(p, &cookie).await.status, 401, "{}: every session ended", p.backend);

    let old = p.post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" })).await;
    assert_eq!(old.status, 401, "the old password stops working");
    let new = p.post("/api/login", json!({ "account": "180211111", "password": "Новый-пароль-77" })).await;
    assert_eq!(new.status, 200);
    let (subject, _) = p.mails_to(&p.email("ivanov")).await.pop().unwrap();
    assert!(subject.starts_with("Пароль изменён"), "a notice is mailed: {subject}");

    p.post("/api/password/forgot", json!({ "account": "180211111", "email": &p.email("ivanov") })).await;
    let late = p.last_token(&p.email("ivanov"), "reset.html").await;
    p.advance(3600);
    let expired =
        json!({ "token": late, "password": "Ещё-один-пароль-1", "password_confirm": "Ещё-один-пароль-1" });
    assert_eq!(p.post("/api/password/reset", expired).await.status, 410, "valid one hour");
}

async fn settings_change_delivery_password_and_email(p: &Portal) {
    let cookie = registered(p).await;
    let other = p
        .post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" }))
        .await
        .cookie
        .unwrap();
    let get = p.call(Method::GET, "/api/settings", None, Some(&cookie)).await;
    assert_eq!((get.body["delivery"].as_str(), get.body["notices"].as_bool()), (Some("off"), Some(true)));
    let put = p
        .call(
            Method::PUT,
            "/api/settings",
            Some(json!({ "delivery": "png", "notices": false })),
            Some(&cookie),
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    let get = p.call(Method::GET, "/api/settings", None, Some(&cookie)).await;
    assert_eq!((get.body["delivery"].as_str(), get.body["notices"].as_bool()), (Some("png"), Some(false)));
    let bad = p
        .call(
            Method::PUT,
            "/api/settings",
            Some(json!({ "delivery": "fax", "notices": false })),
            Some(&cookie),
        )
        .await;
    assert_eq!(bad.status, 400);

    let change = |current: &str| json!({ "current_password": current, "password": "Другой-пароль-5", "password_confirm": "Другой-пароль-5" });
    let r = p.call(Method::POST, "/api/settings/password", Some(change("неверный")), Some(&cookie)).await;
    assert_eq!((r.status, r.body["fields"]["current_password"].is_string()), (400, true), "{:?}", r.body);
    for _ in 0..3 {
        p.call(Method::POST, "/api/settings/password", Some(change("неверный")), Some(&cookie)).await;
    }
    let r =
        p.call(Method::POST, "/api/settings/password", Some(change("Светлячок-2026")), Some(&cookie)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(me(p, &cookie).await.status, 200, "this session goes on");
    assert_eq!(me(p, &other).await.status, 401, "{}: the other sessions end", p.backend);

    let r = p
        .call(Method::POST, "/api/settings/email", Some(json!({ "email": &p.email("new") })), Some(&cookie))
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let (notice, _) = p.mails_to(&p.email("ivanov")).await.pop().unwrap();
    assert!(notice.starts_with("Смена адреса"), "the old address is told: {notice}");
    assert_eq!(
        p.call(Method::GET, "/api/settings", None, Some(&cookie)).await.body["email"],
        p.email("ivanov").as_str(),
        "not before the link"
    );
    let token = p.last_token(&p.email("new"), "confirm-email.html").await;
    assert_eq!(p.post("/api/settings/email/confirm", json!({ "token": token })).await.status, 200);
    assert_eq!(
        p.call(Method::GET, "/api/settings", None, Some(&cookie)).await.body["email"],
        p.email("new").as_str()
    );
}

/// No endpoint can flood a mailbox: whatever sends, one address gets at most 10 mails an hour.
#[tokio::test]
async fn one_address_gets_at_most_ten_mails_an_hour() {
    use svet_domain::identity::IdentityError;
    let p = Portal::sqlite().await;
    let deps = p.app.deps();
    let mail = |to: String| svet_domain::Mail {
        to,
        subject: "Тест".into(),
        text: "Тест".into(),
        html: None,
        attachments: vec![],
    };
    for _ in 0..10 {
        deps.send(mail(p.email("victim"))).await.unwrap();
    }
    let flood = deps.send(mail(p.email("victim").to_uppercase())).await;
    assert!(matches!(flood, Err(IdentityError::TooManyAttempts { .. })), "{flood:?}");
    deps.send(mail(p.email("other"))).await.expect("other addresses are unaffected");
    p.advance(3600);
    deps.send(mail(p.email("victim"))).await.expect("a new hour");
    assert_eq!(p.mails_to(&p.email("victim")).await.len(), 11);
}

/// ASVS 3.4.1–3.4.3 and 8.1.1, asserted on the answers themselves: the session cookie is
/// HttpOnly, Secure, SameSite=Strict for the whole site (also when «Выход» clears it), and every
/// answer of a route that reads a customer's data, with a session or without, says
/// `Cache-Control: no-store`, so no browser or proxy keeps a copy.
async fn the_session_cookie_is_strict_and_no_customer_answer_is_cached(p: &Portal) {
    let _ = registered(p).await;
    let login = p.post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" })).await;
    assert_eq!(login.status, 200, "{}: {:?}", p.backend, login.body);
    let cookie = login.cookie.clone().expect("a session");
    let attributes = |reply: &Reply| -> Vec<String> {
        let header = reply
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__Host-svet_session="))
            .unwrap_or_else(|| panic!("{}: no session cookie", p.backend))
            .to_owned();
        header.split(';').skip(1).map(|a| a.trim().to_owned()).collect()
    };
    let set = attributes(&login);
    for wanted in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.iter().any(|a| a == wanted), "{}: login: {wanted} missing in {set:?}", p.backend);
    }
    // The `__Host-` prefix: a browser takes the cookie only with Secure, `Path=/` and no Domain.
    assert!(!set.iter().any(|a| a.to_ascii_lowercase().starts_with("domain")), "{}: {set:?}", p.backend);

    let reads = svet_api::routes::ROUTES.iter().filter(|r| {
        r.method == Method::GET
            && !["health", "company", "payments-return", "sberbank-callback"].contains(&r.function)
    });
    let mut checked = 0;
    for route in reads {
        let path = match route.path {
            "/api/payments/receipt" | "/api/payments/receipt.pdf" => format!("{}?payment=p-none", route.path),
            path => path.to_owned(),
        };
        for session in [Some(cookie.as_str()), None] {
            let r = p.call(Method::GET, &path, None, session).await;
            let cache = r.headers.get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(
                cache.split(',').any(|d| d.trim() == "no-store"),
                "{}: GET {path} ({}, {}): Cache-Control {cache:?}",
                p.backend,
                if session.is_some() { "with a session" } else { "without" },
                r.status
            );
            checked += 1;
        }
    }
    assert!(checked >= 14, "{}: the customer's read routes: {checked}", p.backend);

    let logout = p.call(Method::POST, "/api/logout", None, Some(&cookie)).await;
    assert_eq!(logout.cookie.as_deref(), Some(""), "{}: «Выход» clears the cookie", p.backend);
    let clear = logout.headers.get("clear-site-data").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(clear, "\"cache\", \"storage\"", "{}: «Выход» clears the site's storage", p.backend);
    let cleared = attributes(&logout);
    for wanted in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            cleared.iter().any(|a| a == wanted),
            "{}: logout: {wanted} missing in {cleared:?}",
            p.backend
        );
    }
}
